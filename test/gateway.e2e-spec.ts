import { connect as connectTcp } from 'node:net';

import request from 'supertest';
import WebSocket from 'ws';

import { FerroEventBus } from '../src/events/ferro-event-bus.js';
import { FerroEvent } from '../src/events/ferro-events.js';
import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { basicAuth, connect, expectRefused } from './support/ws-client.js';

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

const UPGRADE_HEADERS = {
  Host: '127.0.0.1',
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};

/**
 * Sends a hand-built upgrade request and reads the answer up to the end of
 * its head and body (or the socket's close), whatever `ws` clients would
 * refuse to send.
 */
function rawUpgrade(
  server: TestServer,
  target: string,
  { method = 'GET', headers = {} as Record<string, string | undefined> } = {},
): Promise<RawAnswer> {
  const { port } = new URL(server.baseUrl);
  const lines = Object.entries({ ...UPGRADE_HEADERS, ...headers })
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(port), '127.0.0.1');
    let answer = '';
    const finish = (): void => {
      socket.destroy();
      const [head, body = ''] = answer.split('\r\n\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (status) {
        resolve({ status: Number(status[1]), head, body });
      } else {
        reject(new Error(`no HTTP status: "${answer}"`));
      }
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.startsWith('HTTP/1.1 101') && answer.includes('\r\n\r\n')) {
        finish();
      }
    });
    socket.on('error', reject);
    socket.on('close', finish);
    socket.write(`${method} ${target} HTTP/1.1\r\n${lines}\r\n`);
  });
}

describe('upgrade routing (C01)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(() => server.close());

  it.each(['/api/ws', '/api/ws?since=0'])('upgrades %s', async (path) => {
    const socket = await connect(`${server.baseUrl.replace('http', 'ws')}${path}`);

    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    await socket.close();
  });

  it.each(['/ws', '/api/ws/', '/api/wsx', '/API/WS', '/api/sync/events', '//api/ws'])(
    'answers %s with 404 and a JSON body, not a reset',
    async (path) => {
      const refusal = await expectRefused(`${server.baseUrl.replace('http', 'ws')}${path}`);

      expect(refusal.status).toBe(404);
      expect(refusal.body).toEqual({ error: 'No WebSocket here', error_code: 'not_found' });
    },
  );

  it('answers a raw upgrade to an unknown path with a status line', async () => {
    expect((await rawUpgrade(server, '/nope')).status).toBe(404);
  });

  it('routes an absolute-form request target by its path', async () => {
    const { port } = new URL(server.baseUrl);

    const answer = await rawUpgrade(server, `http://127.0.0.1:${port}/api/ws`);

    expect(answer.status).toBe(101);
  });

  it.each([
    ['a POST', { method: 'POST' }, 405, 'Allow: GET'],
    ['no key', { headers: { 'Sec-WebSocket-Key': undefined } }, 400, ''],
    ['a short key', { headers: { 'Sec-WebSocket-Key': 'abc' } }, 400, ''],
    [
      'version 99',
      { headers: { 'Sec-WebSocket-Version': '99' } },
      400,
      'Sec-WebSocket-Version: 13',
    ],
    ['Upgrade: h2c', { headers: { Upgrade: 'h2c' } }, 400, ''],
  ])('answers a malformed upgrade with %s in JSON', async (_name, request, status, header) => {
    const answer = await rawUpgrade(server, '/api/ws', request);

    expect(answer.status).toBe(status);
    expect(answer.head).toContain(header);
    expect(answer.head).toMatch(/Content-Type: application\/json/i);
    expect(JSON.parse(answer.body)).toMatchObject({ error_code: 'invalid_upgrade' });
  });

  it('answers a plain GET /api/ws with 426', async () => {
    const res = await request(server.baseUrl).get('/api/ws').expect(426);

    expect(res.headers.upgrade).toBe('websocket');
    expect(res.body).toEqual({
      error: 'This endpoint speaks WebSocket; send an upgrade request',
      error_code: 'upgrade_required',
    });
  });

  it('keeps HTTP routes working with hundreds of sockets open', async () => {
    const sockets = await Promise.all(Array.from({ length: 200 }, () => connect(server.wsUrl)));

    await request(server.baseUrl).get('/healthz').expect(200);
    await request(server.baseUrl).put('/api/files/busy.txt').send('ok').expect(201);

    await Promise.all(sockets.map((socket) => socket.close()));
  });
});

describe('client frames are ignored (C02)', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(() => server.close());

  it('ignores text, JSON and binary messages and keeps the socket open', async () => {
    const noisy = await connect(server.wsUrl);
    const watcher = await connect(server.wsUrl);

    noisy.ws.send('hi');
    noisy.ws.send(JSON.stringify({ event: 'subscribe', data: {} }));
    noisy.ws.send(Buffer.from([1, 2, 3]));
    await request(server.baseUrl).put('/api/files/after.txt').send('a').expect(201);

    const expected = { type: 'file_created', path: '/after.txt', size: 1, owner: 'anonymous' };
    expect(await noisy.next()).toEqual(expected);
    expect(await watcher.next()).toEqual(expected);
    expect(noisy.ws.readyState).toBe(WebSocket.OPEN);
    await Promise.all([noisy.close(), watcher.close()]);
  });

  it('answers a ping with a pong carrying the same payload', async () => {
    const socket = await connect(server.wsUrl);
    const payload = Buffer.from('0123456789');

    const pong = new Promise<Buffer>((resolve) => socket.ws.once('pong', resolve));
    socket.ws.ping(payload);

    expect(await pong).toEqual(payload);
    await socket.close();
  });

  it('closes with 1009 on a frame over the size limit, and the watcher stays', async () => {
    const big = await connect(server.wsUrl);
    const watcher = await connect(server.wsUrl);

    big.ws.send('x'.repeat(1024 * 1024));

    expect((await big.closed).code).toBe(1009);
    await request(server.baseUrl).put('/api/files/still.txt').send('s').expect(201);
    expect((await watcher.next()).type).toBe('file_created');
    await watcher.close();
  });

  it('closes with 1007 on invalid UTF-8 in a text frame', async () => {
    const socket = await connect(server.wsUrl);

    // `ws` refuses to send invalid UTF-8 itself, so the frame is written raw:
    // FIN + text opcode, masked, 2-byte payload C3 28.
    const mask = Buffer.from([1, 2, 3, 4]);
    const payload = Buffer.from([0xc3 ^ 1, 0x28 ^ 2]);
    const raw = (socket.ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.write(Buffer.concat([Buffer.from([0x81, 0x82]), mask, payload]));

    expect((await socket.closed).code).toBe(1007);
  });
});

describe('upgrade refusals', () => {
  let server: TestServer;

  afterEach(() => server.close());

  it('refuses a foreign Origin with 403 when origins are listed', async () => {
    server = await startServer({ allowedOrigins: ['https://files.example'] });

    const refusal = await expectRefused(server.wsUrl, { origin: 'https://evil.example' });
    const allowed = await connect(server.wsUrl, { origin: 'https://files.example' });
    const withoutOrigin = await connect(server.wsUrl);

    expect(refusal.status).toBe(403);
    expect(refusal.body).toEqual({ error: 'Origin not allowed', error_code: 'forbidden' });
    await Promise.all([allowed.close(), withoutOrigin.close()]);
  });

  it('admits exactly the limit, refuses the next with 503, and frees slots on close', async () => {
    server = await startServer({ wsMaxConnections: 3 });
    const open = await Promise.all([1, 2, 3].map(() => connect(server.wsUrl)));

    const refusal = await expectRefused(server.wsUrl);
    expect(refusal.status).toBe(503);
    expect(refusal.body).toEqual({
      error: 'Connection limit reached',
      error_code: 'too_many_connections',
    });

    open[0].ws.terminate();
    await open[0].closed;
    await open[1].close();
    const again = await Promise.all([connect(server.wsUrl), connect(server.wsUrl)]);
    await expectRefused(server.wsUrl);
    await Promise.all([...again, open[2]].map((socket) => socket.close()));
  });

  it('does not spend a slot on handshakes abandoned halfway', async () => {
    server = await startServer({ wsMaxConnections: 2 });
    const { port } = new URL(server.baseUrl);
    const halfSent = Array.from({ length: 20 }, () => {
      const socket = connectTcp(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write('GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
      return socket;
    });

    const admitted = await Promise.all([connect(server.wsUrl), connect(server.wsUrl)]);
    const third = await expectRefused(server.wsUrl);

    expect(third.status).toBe(503);
    halfSent.forEach((socket) => socket.destroy());
    await Promise.all(admitted.map((socket) => socket.close()));
  });

  it('does not spend a slot on an upgrade refused for bad credentials', async () => {
    server = await startServer({
      wsMaxConnections: 1,
      simpleAuth: { user: 'admin', password: 'secret' },
    });

    for (let i = 0; i < 20; i++) {
      expect((await expectRefused(server.wsUrl)).status).toBe(401);
    }
    const socket = await connect(server.wsUrl, {
      headers: { authorization: basicAuth('admin', 'secret') },
    });

    await socket.close();
  });
});

describe('shutdown', () => {
  it('closes every client with 1001 when the app closes', async () => {
    const server = await startServer();
    const sockets = await Promise.all([1, 2, 3].map(() => connect(server.wsUrl)));

    await server.close();

    const closes = await Promise.all(sockets.map((socket) => socket.closed));
    expect(closes).toEqual(Array(3).fill({ code: 1001, reason: 'server shutting down' }));
  });

  it('does not wait for a peer that ignores the close frame', async () => {
    const server = await startServer();
    const deaf = await connect(server.wsUrl);
    // Stop reading: the close frame is never seen, so it is never answered.
    (deaf.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    const started = Date.now();

    await server.close();

    expect(Date.now() - started).toBeLessThan(5_000);
    deaf.ws.terminate();
  });

  it('refuses new upgrades with 503 while it waits for clients to leave', async () => {
    const server = await startServer();
    const deaf = await connect(server.wsUrl);
    (deaf.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();

    const closing = server.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await expectRefused(server.wsUrl);
    await closing;

    expect(late.status).toBe(503);
    expect(late.body).toMatchObject({ error_code: 'shutting_down' });
    deaf.ws.terminate();
  });
});

describe('heartbeat (C03)', () => {
  it('drops a peer that stops answering pings and keeps one that answers', async () => {
    const server = await startServer({ wsHeartbeatMs: 100, wsMaxConnections: 2 });
    const silent = await connect(server.wsUrl, { autoPong: false });
    const healthy = await connect(server.wsUrl);

    const dropped = await silent.closed;
    const fresh = await connect(server.wsUrl);

    expect(dropped.code).toBe(1006);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    await Promise.all([healthy.close(), fresh.close()]);
    await server.close();
  });
});

describe('a client that stops reading (bounded buffer)', () => {
  it('is closed with 4000 while a reading client receives every event in order', async () => {
    const server = await startServer({ wsBuffer: 64 });
    const bus = server.app.get(FerroEventBus);
    const reader = await connect(server.wsUrl);
    const stalled = await connect(server.wsUrl);
    const raw = (stalled.ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause();
    const total = 3_000;
    const long = 'x'.repeat(4_000);

    for (let i = 1; i <= total; i++) {
      bus.emit(FerroEvent.FileCreated, { path: `/${long}/${i}`, size: i, owner: 'bench' });
      if (i % 25 === 0) {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const received = await reader.take(total * 2, 20_000);
    raw.resume();

    const clocks = received.filter((m) => m.type === 'sync_op').map((m) => m.clock);
    expect(clocks).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(await stalled.closed).toEqual({
      code: 4000,
      reason: 'lagging: catch up with /api/sync/delta',
    });
    await reader.close();
    await server.close();
  });
});

describe('large events', () => {
  it('delivers an event whose frame needs a 64-bit length intact', async () => {
    const server = await startServer();
    const socket = await connect(server.wsUrl);
    const path = `/${'p'.repeat(70_000)}`;

    server.app.get(FerroEventBus).emit(FerroEvent.FileCreated, { path, size: 1, owner: 'host' });

    expect(await socket.next()).toEqual({ type: 'file_created', path, size: 1, owner: 'host' });
    await socket.close();
    await server.close();
  });
});

describe('resume with ?since', () => {
  type Message = Record<string, unknown>;

  function record(server: TestServer, count: number, from = 1, pad = ''): void {
    const bus = server.app.get(FerroEventBus);
    for (let i = from; i < from + count; i++) {
      bus.emit(FerroEvent.FileCreated, { path: `/r${pad}/${i}`, size: i, owner: 'host' });
    }
  }

  /** Each op is its file event followed by its sync_op, and the clocks run 1..n. */
  function expectOpsInOrder(messages: Message[], first: number, last: number): void {
    const clocks: unknown[] = [];
    for (let i = 0; i < messages.length; i += 2) {
      const [event, op] = [messages[i], messages[i + 1]];
      expect(op.type).toBe('sync_op');
      expect(event).toMatchObject({ type: 'file_created', path: op.path });
      clocks.push(op.clock);
    }
    expect(clocks).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
  }

  it('sends the ops after the cursor in order, then live ones', async () => {
    const server = await startServer({ storage: 'memory' });
    record(server, 5);

    const socket = await connect(`${server.wsUrl}?since=2`);
    const replayed = await socket.take<Message>(6);
    record(server, 1, 6);
    const live = await socket.take<Message>(2);

    expectOpsInOrder([...replayed, ...live], 3, 6);
    await socket.expectSilence(100);
    await socket.close();
    await server.close();
  });

  it('misses nothing and repeats nothing when ops arrive during a long replay', async () => {
    const server = await startServer({ storage: 'memory' });
    const pad = 'p'.repeat(1_000);
    const backlog = 2_000;
    const during = 500;
    record(server, backlog, 1, pad);

    const socket = await connect(`${server.wsUrl}?since=0`);
    for (let i = backlog + 1; i <= backlog + during; i += 10) {
      record(server, 10, i, pad);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const messages = await socket.take<Message>((backlog + during) * 2, 20_000);

    expectOpsInOrder(messages, 1, backlog + during);
    await socket.expectSilence(100);
    await socket.close();
    await server.close();
  });

  it('closes with 4000 a client whose missed ops leave the log while it reads', async () => {
    const server = await startServer({ storage: 'memory', syncMaxOps: 300 });
    const pad = 'q'.repeat(20_000);
    record(server, 300, 1, pad);

    const socket = await connect(`${server.wsUrl}?since=0`);
    const raw = (socket.ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause();
    record(server, 300, 301, pad);
    raw.resume();

    expect(await socket.closed).toEqual({
      code: 4000,
      reason: 'lagging: catch up with /api/sync/delta',
    });
    await server.close();
  });

  it.each([
    ['since=abc', 400, 'invalid_cursor'],
    ['since=-1', 400, 'invalid_cursor'],
    ['since=1&since=2', 400, 'invalid_cursor'],
    ['since=1&epoch=nope', 400, 'invalid_cursor'],
    ['since=4', 410, 'cursor_unknown'],
    ['since=1&epoch=00000000-0000-4000-8000-000000000000', 410, 'cursor_unknown'],
    ['epoch=00000000-0000-4000-8000-000000000000', 410, 'cursor_unknown'],
    ['epoch=nope', 400, 'invalid_cursor'],
  ])('refuses ?%s with %i %s before the upgrade', async (query, status, code) => {
    const server = await startServer({ storage: 'memory' });
    record(server, 3);

    const refused = await expectRefused(`${server.wsUrl}?${query}`);

    expect(refused.status).toBe(status);
    expect(refused.body).toMatchObject({ error_code: code });
    await server.close();
  });

  it('refuses a cursor older than the log keeps with 410 and the oldest clock', async () => {
    const server = await startServer({ storage: 'memory', syncMaxOps: 5 });
    record(server, 10);

    const refused = await expectRefused(`${server.wsUrl}?since=2`);

    expect(refused.status).toBe(410);
    expect(refused.body).toMatchObject({
      error_code: 'cursor_expired',
      oldest_clock: 6,
      current_clock: 10,
    });
    await server.close();
  });

  it('accepts the epoch of its own log', async () => {
    const server = await startServer({ storage: 'memory' });
    record(server, 2);
    const { body } = await request(server.app.getHttpServer()).get('/api/sync/delta').expect(200);

    const socket = await connect(`${server.wsUrl}?since=1&epoch=${body.epoch}`);

    expectOpsInOrder(await socket.take<Message>(2), 2, 2);
    await socket.close();
    await server.close();
  });
});

describe('writes per turn of the event loop', () => {
  it('sends the ops recorded in one turn to a client in a single write', async () => {
    const server = await startServer({ storage: 'memory' });
    const writes: Buffer[] = [];
    server.app
      .getHttpServer()
      .prependListener('upgrade', (_req, socket: import('node:net').Socket) => {
        const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
        socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
          writes.push(Buffer.from(chunk));
          return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
        }) as typeof socket.write;
      });
    const socket = await connect(server.wsUrl);
    const afterHandshake = writes.length;
    const bus = server.app.get(FerroEventBus);

    for (let i = 1; i <= 10; i++) {
      bus.emit(FerroEvent.FileCreated, { path: `/turn/${i}`, size: i, owner: 'host' });
    }
    const messages = await socket.take(20);

    expect(messages.filter((m) => m.type === 'sync_op').map((m) => m.clock)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    expect(writes.length - afterHandshake).toBe(1);
    await socket.close();
    await server.close();
  });
});
