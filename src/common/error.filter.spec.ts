import { writeFile } from 'node:fs/promises';

import { Get } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { FerroController } from './ferro-controller.decorator.js';

@FerroController('disk')
class DiskController {
  /** A real write to a device that is always full: the kernel answers ENOSPC. */
  @Get('full')
  async full(): Promise<void> {
    await writeFile('/dev/full', 'more bytes than fit');
  }

  @Get('broken')
  broken(): never {
    throw new Error('a bug');
  }
}

describe('FerroErrorFilter', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [DiskController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(() => app.close());

  it('answers a full disk with 507 storage_full', async () => {
    const res = await request(app.getHttpServer()).get('/disk/full').expect(507);

    expect(res.body).toEqual({ error: 'The storage is full', error_code: 'storage_full' });
  });

  it('answers anything else unexpected with a bare 500', async () => {
    const res = await request(app.getHttpServer()).get('/disk/broken').expect(500);

    expect(res.body).toEqual({ error: 'Internal server error', error_code: 'internal_error' });
  });
});
