import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { CanActivate, INestApplication } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { FerroAuthGuard } from '../auth/auth.guard.js';
import { AUTH_PROVIDERS } from '../auth/auth.providers.js';
import { FerroErrorFilter } from '../common/error.filter.js';
import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import { FERRO_OPTIONS, withDefaults } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { MemoryOpLog, OpLog } from './op-log.js';
import { collect, waitForText } from '../../test/support/stream-text.js';
import { SYNC_STREAM_OPTIONS } from './sync-event.stream.js';
import { SyncController } from './sync.controller.js';
import { SyncService } from './sync.service.js';

const AUTH = 'Basic ' + Buffer.from('admin:secret').toString('base64');

interface Setup {
  maxOps?: number;
  options?: Partial<FerroRealtimeOptions>;
  keepaliveMs?: number;
  /** Replaces the auth guard with one that takes this long to admit a request. */
  authDelayMs?: number;
}

/** A guard that admits everyone after a delay, so clients can leave mid-authentication. */
function slowGuard(delayMs: number): CanActivate {
  return { canActivate: () => new Promise((resolve) => setTimeout(() => resolve(true), delayMs)) };
}

async function setup({
  maxOps = 100,
  options = {},
  keepaliveMs = 20_000,
  authDelayMs,
}: Setup = {}) {
  const builder = Test.createTestingModule({
    imports: [EventEmitterModule.forRoot()],
    controllers: [SyncController],
    providers: [
      SyncService,
      FerroEventBus,
      ...AUTH_PROVIDERS,
      { provide: OpLog, useValue: new MemoryOpLog(maxOps) },
      { provide: FERRO_OPTIONS, useValue: withDefaults(options) },
      { provide: SYNC_STREAM_OPTIONS, useValue: { keepaliveMs } },
    ],
  });
  if (authDelayMs !== undefined) {
    builder.overrideGuard(FerroAuthGuard).useValue(slowGuard(authDelayMs));
  }
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useGlobalFilters(new FerroErrorFilter());
  await app.listen(0, '127.0.0.1');
  return app;
}

function createOps(app: INestApplication, count: number): void {
  const emitter = app.get(EventEmitter2);
  for (let i = 0; i < count; i += 1) {
    emitter.emit(FerroEvent.FileCreated, { path: `/f${i}`, size: i, owner: 'admin' });
  }
}

function openStream(app: INestApplication, path: string, headers: Record<string, string> = {}) {
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const req = httpRequest({ host: '127.0.0.1', port, path, headers });
  req.on('error', () => undefined);
  req.end();
  return req;
}

function idsIn(text: string): number[] {
  return [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
}

describe('SyncController', () => {
  let app: INestApplication;

  afterEach(async () => {
    await app.close();
  });

  describe('GET /api/sync/delta', () => {
    beforeEach(async () => {
      app = await setup({ maxOps: 5 });
    });

    it('answers from clock 0 by default, uncached', async () => {
      createOps(app, 2);

      const res = await request(app.getHttpServer()).get('/api/sync/delta');

      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ current_clock: 2, count: 2, has_more: false });
      expect(res.body.ops.map((op: { clock: number }) => op.clock)).toEqual([1, 2]);
    });

    it('pages with limit', async () => {
      createOps(app, 3);

      const res = await request(app.getHttpServer()).get('/api/sync/delta?since=1&limit=1');

      expect(res.body).toMatchObject({ current_clock: 3, count: 1, has_more: true });
      expect(res.body.ops[0]).toMatchObject({ clock: 2, op_type: 'create', path: '/f1' });
    });

    it.each(['-1', 'abc', '1.5', '', '9007199254740993', '1e3', '%201', '1&since=2'])(
      'answers since=%s with 400 invalid_cursor',
      async (since) => {
        const res = await request(app.getHttpServer()).get(`/api/sync/delta?since=${since}`);

        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error_code: 'invalid_cursor' });
      },
    );

    it.each(['0', '10001', 'x', ''])('answers limit=%s with 400 invalid_limit', async (limit) => {
      const res = await request(app.getHttpServer()).get(`/api/sync/delta?limit=${limit}`);

      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error_code: 'invalid_limit' });
    });

    it('answers a cursor past retention with 410 and the oldest clock kept', async () => {
      createOps(app, 8);

      const res = await request(app.getHttpServer()).get('/api/sync/delta?since=1');

      expect(res.status).toBe(410);
      expect(res.body).toEqual({
        error: expect.any(String),
        error_code: 'cursor_expired',
        epoch: expect.any(String),
        oldest_clock: 4,
        current_clock: 8,
      });
    });

    it('answers a cursor ahead of the clock as unknown, not with an empty list', async () => {
      createOps(app, 1);

      const res = await request(app.getHttpServer()).get('/api/sync/delta?since=999999999');

      expect(res.status).toBe(410);
      expect(res.body).toMatchObject({ error_code: 'cursor_unknown', current_clock: 1 });
    });
  });

  describe('GET /api/sync/events', () => {
    it('replays the ops after Last-Event-ID with their clocks as ids, then goes live', async () => {
      app = await setup();
      createOps(app, 12);
      const req = openStream(app, '/api/sync/events?since=0', { 'Last-Event-ID': '2' });
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      const read = collect(res);

      await waitForText(read, /id: 12\n/);
      createOps(app, 1);
      const text = await waitForText(read, /id: 13\n/);
      req.destroy();

      expect(res.statusCode).toBe(200);
      expect(text.startsWith('retry: 2000\n\n')).toBe(true);
      expect(idsIn(text)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    });

    it('starts from ?since when no Last-Event-ID is sent', async () => {
      app = await setup();
      createOps(app, 3);
      const req = openStream(app, '/api/sync/events?since=1');
      const [res] = (await once(req, 'response')) as [IncomingMessage];

      const text = await waitForText(collect(res), /id: 3\n/);
      req.destroy();

      expect(idsIn(text)).toEqual([2, 3]);
    });

    it.each([
      { headers: { 'Last-Event-ID': 'garbage' }, status: 400, code: 'invalid_cursor' },
      { headers: { 'Last-Event-ID': '' }, status: 400, code: 'invalid_cursor' },
      { headers: { 'Last-Event-ID': '1' }, status: 410, code: 'cursor_expired' },
      { headers: { 'Last-Event-ID': '99' }, status: 410, code: 'cursor_unknown' },
    ])(
      'answers $headers with $status JSON before any stream',
      async ({ headers, status, code }) => {
        app = await setup({ maxOps: 3 });
        createOps(app, 5);

        const res = await request(app.getHttpServer()).get('/api/sync/events').set(headers);

        expect(res.status).toBe(status);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toMatchObject({ error_code: code });
      },
    );

    it('sends keepalive comments at the configured interval', async () => {
      app = await setup({ keepaliveMs: 20 });
      const req = openStream(app, '/api/sync/events');
      const [res] = (await once(req, 'response')) as [IncomingMessage];

      const text = await waitForText(collect(res), /(: keepalive\n\n){2}/);
      req.destroy();

      expect(text).toMatch(/^retry: 2000\n\n: keepalive\n\n/);
    });

    it('is refused with 401 before any stream when auth is on', async () => {
      app = await setup({ options: { simpleAuth: { user: 'admin', password: 'secret' } } });

      const res = await request(app.getHttpServer()).get('/api/sync/events');

      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error_code: 'unauthorized' });
      expect(app.get(SyncService).followerCount).toBe(0);
    });

    it('returns every count to the start after aborted requests', async () => {
      app = await setup({ options: { simpleAuth: { user: 'admin', password: 'secret' } } });
      const emitter = app.get(EventEmitter2);
      const listenersBefore = emitter.listenerCount();
      const aborts = Array.from({ length: 60 }, (_, i) => {
        const req = openStream(app, '/api/sync/events', { Authorization: AUTH });
        return new Promise<void>((resolve) => setTimeout(resolve, i % 20)).then(() =>
          req.destroy(),
        );
      });

      await Promise.all(aborts);

      await vi.waitFor(
        () => {
          expect(app.get(SyncController).openStreams).toBe(0);
          expect(app.get(SyncService).followerCount).toBe(0);
        },
        { timeout: 2000 },
      );
      expect(emitter.listenerCount()).toBe(listenersBefore);
    });

    it('leaves nothing behind for clients that leave while being authenticated', async () => {
      app = await setup({ authDelayMs: 30 });
      const reached = vi.spyOn(SyncService.prototype, 'validateCursor');
      const aborts = Array.from({ length: 20 }, () => {
        const req = openStream(app, '/api/sync/events');
        return new Promise<void>((resolve) => setTimeout(resolve, 10)).then(() => req.destroy());
      });

      await Promise.all(aborts);

      await vi.waitFor(() => expect(reached).toHaveBeenCalledTimes(20), { timeout: 2000 });
      expect(app.get(SyncController).openStreams).toBe(0);
      expect(app.get(SyncService).followerCount).toBe(0);
      reached.mockRestore();
    });

    it('ends open streams when the app closes', async () => {
      app = await setup();
      const req = openStream(app, '/api/sync/events');
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      collect(res);

      await app.close();
      await once(res, 'end');

      expect(app.get(SyncService).followerCount).toBe(0);
    });
  });
});
