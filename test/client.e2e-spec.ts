import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

import request from 'supertest';
import { WebSocket } from 'ws';

import { FerroClient } from '../src/client/index.js';
import type {
  ClientState,
  FerroClientError,
  FerroClientOptions,
  FerroOp,
  ResyncNotice,
} from '../src/client/index.js';
import { FerroEventBus } from '../src/events/ferro-event-bus.js';
import { FerroEvent } from '../src/events/ferro-events.js';
import { FerroMetrics } from '../src/metrics/ferro-metrics.js';
import { startOidcProvider } from './support/oidc-provider.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { basicAuth } from './support/ws-client.js';

const WAIT = { timeout: 15_000, interval: 20 };

const EPOCH = '00000000-0000-4000-8000-000000000000';

/** 1..n */
function upTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

interface Watched {
  client: FerroClient;
  ops: FerroOp[];
  states: ClientState[];
  errors: FerroClientError[];
  resyncs: ResyncNotice[];
  clocks(): number[];
  /** Resolves once the client has delivered clock `n`, failing with what it has. */
  reached(n: number): Promise<void>;
}

/** A started client with short backoff, recording everything it emits. */
function watch(options: Partial<FerroClientOptions> & { url: string }): Watched {
  const client = new FerroClient({
    WebSocket,
    backoffBaseMs: 20,
    backoffCapMs: 200,
    ...options,
  });
  const watched: Watched = {
    client,
    ops: [],
    states: [],
    errors: [],
    resyncs: [],
    clocks: () => watched.ops.map((op) => op.clock),
    reached: (n) => vi.waitFor(() => expect(watched.clocks().at(-1)).toBe(n), WAIT),
  };
  client.on('op', (op) => watched.ops.push(op));
  client.on('state', (state) => watched.states.push(state));
  client.on('error', (error) => watched.errors.push(error));
  client.on('resync', (notice) => watched.resyncs.push(notice));
  client.start();
  return watched;
}

/** `ws`'s WebSocket, noting the code of every close the client sees. */
function recordingCloses(codes: number[]): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('close', (code) => codes.push(code));
    }
  } as typeof WebSocket;
}

/** `ws`'s WebSocket, noting the URL of every socket the client opens. */
function recordingUrls(urls: string[]): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      urls.push(url);
    }
  } as typeof WebSocket;
}

function isOpen(watched: Watched): Promise<void> {
  return vi.waitFor(() => expect(watched.client.state.state).toBe('open'), WAIT);
}

function opens(watched: Watched): number {
  return watched.states.filter((s) => s.state === 'open').length;
}

describe('FerroClient against the real server', () => {
  let server: TestServer;
  let proxy: TcpProxy | undefined;
  let watched: Watched | undefined;

  afterEach(async () => {
    await proxy?.close();
    await watched?.client.close();
    await server.close();
    proxy = undefined;
    watched = undefined;
  });

  /** Sequential uploads straight to the server, as another user would make them. */
  async function upload(from: number, to: number): Promise<void> {
    for (let i = from; i <= to; i++) {
      await request(server.baseUrl).put(`/api/files/f${i}.txt`).send(String(i)).expect(201);
    }
  }

  async function startBehindProxy(options: Parameters<typeof startServer>[0]): Promise<string> {
    server = await startServer({ storage: 'memory', ...options });
    proxy = await TcpProxy.start(Number(new URL(server.baseUrl).port));
    return proxy.baseUrl;
  }

  it('with basic auth, opens the socket with a ticket and delivers 1..N once each while writes run', async () => {
    const admin = basicAuth('admin', 's3cret:pässword');
    server = await startServer({
      storage: 'memory',
      simpleAuth: { user: 'admin', password: 's3cret:pässword' },
    });
    watched = watch({
      url: server.baseUrl,
      auth: { type: 'basic', user: 'admin', password: 's3cret:pässword' },
    });
    await isOpen(watched);

    await Promise.all(
      [0, 1, 2, 3].map((lane) =>
        Promise.all(
          upTo(10).map((i) =>
            request(server.baseUrl)
              .put(`/api/files/lane${lane}/f${i}.txt`)
              .set('authorization', admin)
              .send('x')
              .expect(201),
          ),
        ),
      ),
    );
    await watched.reached(40);
    const { body } = await request(server.baseUrl)
      .get('/api/sync/delta?since=0')
      .set('authorization', admin)
      .expect(200);

    expect(watched.clocks()).toEqual(upTo(40));
    expect(watched.ops.map((op) => op.path)).toEqual(
      body.ops.map((op: { path: string }) => op.path),
    );
    expect(watched.ops[0].event).toMatchObject({ type: 'file_created', owner: 'admin' });
    expect(watched.client.cursor).toEqual({ clock: 40, epoch: body.epoch });
    expect(watched.errors).toEqual([]);
  });

  it('with a bearer token provider, asks it for a fresh token and connects with a ticket', async () => {
    const provider = await startOidcProvider();
    try {
      server = await startServer({
        storage: 'memory',
        oidc: { issuer: provider.issuer, audience: provider.audience },
      });
      const token = vi.fn(() => provider.mintAccessToken({ preferred_username: 'alice' }));
      watched = watch({ url: server.baseUrl, auth: { type: 'bearer', token } });
      await isOpen(watched);

      await request(server.baseUrl)
        .put('/api/files/from-alice.txt')
        .set('authorization', `Bearer ${await provider.mintAccessToken()}`)
        .send('hi')
        .expect(201);
      await watched.reached(1);

      expect(watched.ops[0].event).toEqual({
        type: 'file_created',
        path: '/from-alice.txt',
        size: 2,
        owner: 'alice',
      });
      expect(token).toHaveBeenCalledTimes(2);
    } finally {
      await watched?.client.close();
      await provider.close();
    }
  });

  it('reports 401 with bad credentials and keeps backing off without delivering anything', async () => {
    server = await startServer({
      storage: 'memory',
      simpleAuth: { user: 'admin', password: 'secret' },
    });

    watched = watch({
      url: server.baseUrl,
      auth: { type: 'basic', user: 'admin', password: 'wrong' },
    });
    await vi.waitFor(() => expect(watched?.errors.length).toBeGreaterThanOrEqual(2), WAIT);

    expect(watched.errors[0]).toMatchObject({ kind: 'auth', status: 401 });
    expect(watched.states.map((s) => s.state)).toContain('reconnecting');
    expect(watched.ops).toEqual([]);
  });

  it('resumes after a dropped TCP connection with every clock once, in order', async () => {
    const url = await startBehindProxy({});
    watched = watch({ url });
    await isOpen(watched);

    const writing = upload(1, 60);
    await vi.waitFor(() => expect(watched?.ops.length).toBeGreaterThanOrEqual(10), WAIT);
    proxy?.sever();
    await writing;
    await watched.reached(60);

    expect(watched.clocks()).toEqual(upTo(60));
    expect(opens(watched)).toBeGreaterThanOrEqual(2);
  });

  it('catches up through the delta after a lag close (4000), then goes on live', async () => {
    const url = await startBehindProxy({ wsBuffer: 8 });
    const bus = server.app.get(FerroEventBus);
    const lagged = server.app.get(FerroMetrics).laggingClosed;
    const long = 'x'.repeat(4_000);
    const closes: number[] = [];
    watched = watch({ url, WebSocket: recordingCloses(closes) });
    await isOpen(watched);

    // A frozen proxy stops reading: once the kernel buffers are full the
    // server queues for the client, and closes it with 4000 past wsBuffer.
    proxy?.freeze();
    let total = 0;
    while ((await lagged.get()).values[0]?.value !== 1) {
      expect(total, 'the server never closed the frozen client').toBeLessThan(20_000);
      for (let i = 0; i < 50; i++) {
        total += 1;
        bus.emit(FerroEvent.FileCreated, { path: `/${long}/${total}`, size: 1, owner: 'host' });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    proxy?.thaw();
    await watched.reached(total);
    await isOpen(watched);
    await upload(1, 1);
    await watched.reached(total + 1);

    expect(closes).toEqual([4000]);
    expect(watched.clocks()).toEqual(upTo(total + 1));
    expect(watched.states).toContainEqual({ state: 'catching_up', since: expect.any(Number) });
    expect(watched.states).toContainEqual({ state: 'reconnecting', delay: 0, attempt: 0 });
  });

  it('resyncs on a 410 after being away longer than the log keeps, then goes on', async () => {
    const url = await startBehindProxy({ syncMaxOps: 5 });
    watched = watch({ url });
    await isOpen(watched);
    await upload(1, 2);
    await watched.reached(2);
    const before = watched.client.cursor;

    proxy?.refuse();
    proxy?.sever();
    await upload(3, 12);
    proxy?.allow();
    await vi.waitFor(() => expect(watched?.resyncs).toHaveLength(1), WAIT);
    await isOpen(watched);
    await upload(13, 15);
    await watched.reached(15);

    expect(watched.resyncs[0]).toEqual({
      reason: 'cursor_expired',
      epoch: before?.epoch,
      current_clock: 12,
      oldest_clock: 8,
      lost: before,
    });
    expect(watched.clocks()).toEqual([1, 2, 13, 14, 15]);
  });

  it('takes a connection gone silent for dead, and resumes it with since, every clock once', async () => {
    const url = await startBehindProxy({ wsHeartbeatMs: 100 });
    const urls: string[] = [];
    watched = watch({ url, idleTimeoutMs: 500, WebSocket: recordingUrls(urls) });
    await isOpen(watched);
    await upload(1, 3);
    await watched.reached(3);

    proxy?.blackhole();
    await upload(4, 6);
    await watched.reached(6);
    await isOpen(watched);
    await upload(7, 7);
    await watched.reached(7);

    expect(watched.clocks()).toEqual(upTo(7));
    expect(urls.map((href) => new URL(href).searchParams.get('since'))).toEqual(['0', '3']);
    expect(watched.states).not.toContainEqual({ state: 'catching_up', since: 3 });
    expect(watched.errors).toEqual([]);
  });

  it('gives up a catch-up lost in a dead network, and recovers soon after the network returns', async () => {
    const url = await startBehindProxy({ wsHeartbeatMs: 100 });
    watched = watch({ url, idleTimeoutMs: 500, requestTimeoutMs: 1_000 });
    await isOpen(watched);
    await upload(1, 3);
    await watched.reached(3);

    // The socket is found dead, the next one never opens, and the delta
    // asked after that failed connect goes into the blackhole as well.
    proxy?.blackhole({ newConnections: true });
    await upload(4, 6);
    await vi.waitFor(() => expect(proxy?.swallowed).toContain('GET /api/sync/delta'), WAIT);
    proxy?.restore();
    const restoredAt = Date.now();
    await watched.reached(6);
    const recovery = Date.now() - restoredAt;
    await isOpen(watched);
    await upload(7, 7);
    await watched.reached(7);

    expect(watched.clocks()).toEqual(upTo(7));
    expect(recovery).toBeLessThan(5_000);
    expect(watched.errors).toContainEqual(
      expect.objectContaining({
        kind: 'network',
        message: expect.stringMatching(/delta.*1000 ms/),
      }),
    );
  });

  it('closes within a second when the peer has gone silent', async () => {
    const url = await startBehindProxy({});
    watched = watch({ url });
    await isOpen(watched);
    proxy?.blackhole();

    // Unbounded, ws would wait 30 s for the answer to its close frame.
    const started = Date.now();
    await watched.client.close();

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(watched.states.at(-1)).toEqual({ state: 'closed' });
  });

  it('resyncs once after a cut while ops outrun a tiny log, then delivers each op once', async () => {
    const url = await startBehindProxy({
      syncMaxOps: 100,
      simpleAuth: { user: 'admin', password: 'secret' },
    });
    const bus = server.app.get(FerroEventBus);
    let written = 0;
    const write = (): void => {
      written += 1;
      bus.emit(FerroEvent.FileCreated, { path: `/w${written}`, size: 1, owner: 'admin' });
    };
    watched = watch({
      url,
      auth: { type: 'basic', user: 'admin', password: 'secret' },
      backoffBaseMs: 500,
      backoffCapMs: 1_000,
      random: () => 0.99,
    });
    await isOpen(watched);
    // About 400 ops a second: the log of 100 holds the last quarter of a
    // second, half the shortest backoff wait.
    const writer = setInterval(() => upTo(4).forEach(write), 10);
    try {
      await vi.waitFor(() => expect(watched?.ops.length).toBeGreaterThanOrEqual(20), WAIT);

      proxy?.refuse();
      proxy?.sever();
      const cutAt = written;
      await vi.waitFor(() => expect(written).toBeGreaterThan(cutAt + 300), WAIT);
      proxy?.allow();
      await vi.waitFor(() => expect(watched?.resyncs.length).toBeGreaterThanOrEqual(1), WAIT);
      const resumedAt = written;
      await vi.waitFor(() => expect(written).toBeGreaterThan(resumedAt + 400), WAIT);
    } finally {
      clearInterval(writer);
    }
    await isOpen(watched);
    write();
    await watched.reached(written);

    const [resync] = watched.resyncs;
    const lost = resync.lost?.clock ?? 0;
    const refusals = watched.errors.filter((error) => /410/.test(error.message));
    expect(watched.resyncs).toHaveLength(1);
    expect(watched.clocks()).toEqual([...upTo(lost), ...upTo(written).slice(resync.current_clock)]);
    expect(refusals.length).toBeLessThanOrEqual(1);
  });

  it('resyncs when the upgrade itself is refused with 410 (a cursor from another log)', async () => {
    server = await startServer({ storage: 'memory' });
    await upload(1, 3);
    const foreign = { clock: 2, epoch: EPOCH };

    watched = watch({ url: server.baseUrl, cursor: foreign });
    await vi.waitFor(() => expect(watched?.resyncs).toHaveLength(1), WAIT);
    await isOpen(watched);
    await upload(4, 4);
    await watched.reached(4);

    expect(watched.resyncs[0]).toMatchObject({ reason: 'cursor_unknown', current_clock: 3 });
    expect(watched.errors[0]).toMatchObject({ kind: 'network', message: /410/ });
    expect(watched.clocks()).toEqual([4]);
  });

  it('starts from a saved cursor and gets what it missed, once', async () => {
    server = await startServer({ storage: 'memory' });
    await upload(1, 5);
    const { body } = await request(server.baseUrl).get('/api/sync/delta').expect(200);

    watched = watch({ url: server.baseUrl, cursor: { clock: 2, epoch: body.epoch } });
    await watched.reached(5);
    await upload(6, 7);
    await watched.reached(7);

    expect(watched.clocks()).toEqual([3, 4, 5, 6, 7]);
    expect(watched.states.map((s) => s.state).slice(0, 2)).toEqual(['connecting', 'open']);
  });

  it('backs off with full jitter while the server is unreachable, and starts over once stable', async () => {
    const url = await startBehindProxy({});
    proxy?.refuse();

    watched = watch({
      url,
      random: () => 0.5,
      backoffBaseMs: 20,
      backoffCapMs: 80,
      stableAfterMs: 0,
    });
    await vi.waitFor(() => expect(watched?.errors.length).toBeGreaterThanOrEqual(5), WAIT);
    proxy?.allow();
    await isOpen(watched);
    proxy?.sever();
    await vi.waitFor(() => expect(opens(watched!)).toBe(2), WAIT);

    const waits = watched.states.filter((s) => s.state === 'reconnecting');
    const afterDrop = watched.states.slice(watched.states.findIndex((s) => s.state === 'open'));
    expect(waits.slice(0, 5)).toEqual([
      { state: 'reconnecting', delay: 10, attempt: 1 },
      { state: 'reconnecting', delay: 20, attempt: 2 },
      { state: 'reconnecting', delay: 40, attempt: 3 },
      { state: 'reconnecting', delay: 40, attempt: 4 },
      { state: 'reconnecting', delay: 40, attempt: 5 },
    ]);
    expect(afterDrop).toEqual([
      { state: 'open' },
      { state: 'reconnecting', delay: 10, attempt: 1 },
      { state: 'connecting' },
      { state: 'open' },
    ]);
  });

  it('closes at once mid-backoff', async () => {
    const url = await startBehindProxy({});
    proxy?.refuse();
    watched = watch({ url, backoffBaseMs: 60_000, random: () => 1 });
    await vi.waitFor(() => expect(watched?.client.state.state).toBe('reconnecting'), WAIT);

    await watched.client.close();

    expect(watched.states.at(-1)).toEqual({ state: 'closed' });
  });

  it('closes at once while an upgrade hangs unanswered', async () => {
    server = await startServer({ storage: 'memory' });
    const held = new Set<Socket>();
    const silent = createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      watched = watch({ url: `http://127.0.0.1:${port}`, cursor: { clock: 0, epoch: EPOCH } });
      await vi.waitFor(() => expect(watched?.client.state.state).toBe('connecting'), WAIT);

      await watched.client.close();

      expect(watched.states.at(-1)).toEqual({ state: 'closed' });
      expect(watched.errors).toEqual([]);
    } finally {
      held.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
