import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { FerroErrorFilter } from '../common/error.filter.js';
import { HealthController } from './health.controller.js';
import { StorageHealthMonitor } from './storage-health.monitor.js';
import type { StorageStatus } from './storage-health.monitor.js';

/** Only the status the controller reads; a flipped field is the whole monitor. */
class FakeMonitor {
  status: StorageStatus = { backend: 'local', healthy: true };
}

async function setup(monitor: FakeMonitor): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    controllers: [HealthController],
    providers: [{ provide: StorageHealthMonitor, useValue: monitor }],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useGlobalFilters(new FerroErrorFilter());
  await app.init();
  return app;
}

describe('HealthController', () => {
  let monitor: FakeMonitor;
  let app: INestApplication;

  beforeEach(async () => {
    monitor = new FakeMonitor();
    app = await setup(monitor);
  });

  afterEach(async () => {
    await app.close();
  });

  it('answers liveness without credentials, whatever the storage', async () => {
    monitor.status = { backend: 'local', healthy: false };

    const res = await request(app.getHttpServer()).get('/healthz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers ready with the storage status while the backend is healthy', async () => {
    const res = await request(app.getHttpServer()).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', storage: { backend: 'local', healthy: true } });
  });

  it('answers 503 storage_unavailable while the backend is unhealthy', async () => {
    monitor.status = { backend: 'local', healthy: false };

    const res = await request(app.getHttpServer()).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: 'Storage backend is unhealthy',
      error_code: 'storage_unavailable',
      storage: { backend: 'local', healthy: false },
    });
  });
});
