import request from 'supertest';

import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { openSse } from './support/sse-client.js';
import { connect } from './support/ws-client.js';

describe('sync API', () => {
  let server: TestServer;

  afterEach(() => server.close());

  const http = () => request(server.baseUrl);

  async function putMany(count: number, prefix = 'f'): Promise<void> {
    for (let i = 1; i <= count; i++) {
      await http().put(`/api/files/${prefix}${i}.txt`).send(String(i)).expect(201);
    }
  }

  describe('delta', () => {
    beforeEach(async () => {
      server = await startServer({ syncMaxOps: 5 });
    });

    it('pages ops in clock order after `since`, with has_more', async () => {
      await putMany(4);

      const first = await http().get('/api/sync/delta?since=1&limit=2').expect(200);
      const rest = await http().get('/api/sync/delta?since=3&limit=2').expect(200);

      expect(first.body).toMatchObject({ current_clock: 4, count: 2, has_more: true });
      expect(first.body.ops.map((op: { clock: number }) => op.clock)).toEqual([2, 3]);
      expect(first.body.ops[0]).toMatchObject({
        clock: 2,
        op_type: 'create',
        path: '/f2.txt',
        size: 1,
        owner: 'anonymous',
      });
      expect(rest.body).toMatchObject({ current_clock: 4, count: 1, has_more: false });
    });

    it('records every kind of op with what it needs', async () => {
      await http().put('/api/files/a.txt').send('abc').expect(201);
      await http().put('/api/files/a.txt').send('abcd').expect(200);
      await http().post('/api/files/move').send({ from: '/a.txt', to: '/b.txt' }).expect(200);
      const share = await http().post('/api/shares').send({ path: '/b.txt' }).expect(201);
      await http().delete('/api/files/b.txt').expect(204);

      const { body } = await http().get('/api/sync/delta?since=0').expect(200);

      expect(body.ops).toEqual([
        expect.objectContaining({ clock: 1, op_type: 'create', path: '/a.txt', size: 3 }),
        expect.objectContaining({ clock: 2, op_type: 'update', path: '/a.txt', size: 4 }),
        expect.objectContaining({ clock: 3, op_type: 'move', path: '/b.txt', from: '/a.txt' }),
        expect.objectContaining({
          clock: 4,
          op_type: 'share',
          path: '/b.txt',
          token: share.body.token,
        }),
        expect.objectContaining({ clock: 5, op_type: 'delete', path: '/b.txt' }),
      ]);
    });

    it('answers 410 with the oldest clock when `since` is past retention (C04)', async () => {
      await putMany(8);

      const res = await http().get('/api/sync/delta?since=1').expect(410);
      const kept = await http().get('/api/sync/delta?since=3').expect(200);

      expect(res.body).toMatchObject({ error_code: 'cursor_expired', oldest_clock: 4 });
      expect(kept.body.ops.map((op: { clock: number }) => op.clock)).toEqual([4, 5, 6, 7, 8]);
    });

    it('answers a delta without a cursor from the oldest op kept, even after the log wrapped', async () => {
      await putMany(8);

      const { body } = await http().get('/api/sync/delta').expect(200);

      expect(body.ops.map((op: { clock: number }) => op.clock)).toEqual([4, 5, 6, 7, 8]);
    });

    it('names its epoch, and answers a cursor from another epoch as unknown', async () => {
      await putMany(2);
      const { body } = await http().get('/api/sync/delta?since=0').expect(200);
      const foreign = '00000000-0000-4000-8000-000000000000';

      const same = await http().get(`/api/sync/delta?since=1&epoch=${body.epoch}`).expect(200);
      const other = await http().get(`/api/sync/delta?since=1&epoch=${foreign}`).expect(410);
      const garbage = await http().get('/api/sync/delta?since=1&epoch=nope').expect(400);

      expect(body.epoch).toMatch(/^[0-9a-f-]{36}$/);
      expect(same.body.ops).toHaveLength(1);
      expect(other.body).toMatchObject({ error_code: 'cursor_unknown', epoch: body.epoch });
      expect(garbage.body).toMatchObject({ error_code: 'invalid_cursor' });
    });

    it('answers a cursor ahead of the clock as unknown, not with an empty list', async () => {
      await putMany(2);

      const res = await http().get('/api/sync/delta?since=999999999').expect(410);

      expect(res.body).toMatchObject({ error_code: 'cursor_unknown', current_clock: 2 });
    });

    it.each(['-1', 'abc', '1.5', '', '9007199254740993', '1e3', '0x10'])(
      'refuses since=%j with 400',
      async (since) => {
        const res = await http().get(`/api/sync/delta?since=${since}`).expect(400);

        expect(res.body).toMatchObject({ error_code: 'invalid_cursor' });
      },
    );

    it.each(['0', '-5', 'ten', '100001'])('refuses limit=%j with 400', async (limit) => {
      await http().get(`/api/sync/delta?since=0&limit=${limit}`).expect(400);
    });
  });

  describe('clock order under concurrency (C05)', () => {
    beforeEach(async () => {
      server = await startServer();
    });

    it('numbers concurrent ops 1..N once each, in the order the socket sees them', async () => {
      const socket = await connect(server.wsUrl);
      const big = 'b'.repeat(2 * 1024 * 1024);

      await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => http().put(`/api/files/big${i}.bin`).send(big)),
        ...Array.from({ length: 40 }, (_, i) => http().put(`/api/files/small${i}.txt`).send('s')),
        ...Array.from({ length: 10 }, () => http().put('/api/files/same.txt').send('x')),
      ]);

      const messages = await socket.take(110);
      const clocks = messages.filter((m) => m.type === 'sync_op').map((m) => m.clock);
      const sameEvents = messages.filter((m) => m.path === '/same.txt' && m.type !== 'sync_op');
      const { body } = await http().get('/api/sync/delta?since=0').expect(200);

      expect(clocks).toEqual(Array.from({ length: 55 }, (_, i) => i + 1));
      expect(body.ops.map((op: { clock: number }) => op.clock)).toEqual(clocks);
      expect(sameEvents.map((m) => String(m.type)).sort((a, b) => a.localeCompare(b))).toEqual([
        'file_created',
        ...Array(9).fill('file_updated'),
      ]);
      await socket.close();
    });
  });

  describe('SSE stream', () => {
    beforeEach(async () => {
      server = await startServer();
    });

    it('sends the headers that keep proxies and compression out of the way (C06)', async () => {
      const stream = await openSse(`${server.baseUrl}/api/sync/events`, {
        'accept-encoding': 'gzip, br',
      });

      expect(stream.res.statusCode).toBe(200);
      expect(stream.res.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.res.headers['cache-control']).toBe('no-cache, no-transform');
      expect(stream.res.headers['x-accel-buffering']).toBe('no');
      expect(stream.res.headers['content-encoding']).toBeUndefined();
      stream.close();
    });

    it('starts live without a cursor, and streams ops with id = clock', async () => {
      await http().put('/api/files/before.txt').send('old').expect(201);
      const stream = await openSse(`${server.baseUrl}/api/sync/events`);

      await http().put('/api/files/live.txt').send('live').expect(201);
      const event = await stream.next();

      expect(event.id).toBe('2');
      expect(JSON.parse(event.data)).toMatchObject({
        clock: 2,
        op_type: 'create',
        path: '/live.txt',
      });
      stream.close();
    });

    it('replays what came after Last-Event-ID, then goes on live (C04)', async () => {
      await putMany(12);

      const stream = await openSse(`${server.baseUrl}/api/sync/events`, { 'last-event-id': '2' });
      const replayed = await Promise.all(Array.from({ length: 10 }, () => stream.next()));
      await http().put('/api/files/later.txt').send('l').expect(201);
      const live = await stream.next();

      expect(replayed.map((event) => event.id)).toEqual(
        Array.from({ length: 10 }, (_, i) => String(i + 3)),
      );
      expect(live.id).toBe('13');
      stream.close();
    });

    it('refuses a garbage Last-Event-ID with 400 JSON', async () => {
      const res = await http().get('/api/sync/events').set('last-event-id', 'garbage').expect(400);

      expect(res.body).toMatchObject({ error_code: 'invalid_cursor' });
    });
  });
});
