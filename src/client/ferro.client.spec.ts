import { FerroClient } from './ferro.client.js';
import type { ClientState, ResyncNotice } from './ferro.client.js';
import type { FerroClientError } from './ferro-client.error.js';
import type {
  FerroClientOptions,
  FetchInit,
  FetchLike,
  WebSocketLike,
} from './ferro-client.options.js';
import type { FerroOp } from './op-sequencer.js';
import { CLOSE_GRACE_MS } from './socket-session.js';
import type { DeltaOp, DeltaPage } from './wire.types.js';

const EPOCH = '11111111-1111-4111-8111-111111111111';
const NEW_EPOCH = '22222222-2222-4222-8222-222222222222';

/** A socket the test drives from the server's side. */
class FakeSocket implements WebSocketLike {
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onclose: WebSocketLike['onclose'] = null;
  closedByClient?: { code?: number; reason?: string };
  /** A peer gone without a word: the close handshake is never answered. */
  deaf = false;

  constructor(readonly url: string) {}

  get query(): Record<string, string> {
    return Object.fromEntries(new URL(this.url).searchParams);
  }

  open(): void {
    this.onopen?.({});
  }

  /** The two messages of one op, as the gateway sends them. */
  op(clock: number, path = `/f${clock}`): void {
    this.send({ type: 'file_created', path, size: clock, owner: 'admin' });
    this.send({ type: 'sync_op', clock, op_type: 'create', path });
  }

  send(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  drop(code = 1006): void {
    this.onclose?.({ code, reason: '' });
  }

  /** What a refused upgrade looks like to a client. */
  refuse(): void {
    this.onerror?.({ message: 'Unexpected server response: 410' });
    this.onclose?.({ code: 1006, reason: '' });
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    if (!this.deaf) {
      queueMicrotask(() => this.onclose?.({ code: code ?? 1005, reason: reason ?? '' }));
    }
  }
}

function fakeSockets(): { WebSocket: new (url: string) => FakeSocket; made: FakeSocket[] } {
  const made: FakeSocket[] = [];
  class Socket extends FakeSocket {
    constructor(url: string) {
      super(url);
      made.push(this);
    }
  }
  return { WebSocket: Socket, made };
}

interface Answer {
  status: number;
  body?: unknown;
}

/** An answer, or a function of the request's abort signal that produces one. */
type Scripted = Answer | ((signal: AbortSignal) => Promise<Answer>);

interface Request {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

/**
 * A strict fake of the HTTP side: each request takes the next scripted
 * answer for its path, and a request nobody scripted fails the test.
 */
function fakeHttp(): {
  fetch: FetchLike;
  requests: Request[];
  answer(path: string, ...answers: Scripted[]): void;
} {
  const scripts = new Map<string, Scripted[]>();
  const requests: Request[] = [];
  const fetch: FetchLike = async (href: string, init: FetchInit) => {
    const url = new URL(href);
    requests.push({
      method: init.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: init.headers,
    });
    const next = scripts.get(url.pathname)?.shift();
    if (!next) {
      throw new Error(`unexpected request ${init.method} ${href}`);
    }
    const { status, body } = typeof next === 'function' ? await next(init.signal) : next;
    return { status, json: async () => body };
  };
  return {
    fetch,
    requests,
    answer: (path, ...answers) => scripts.set(path, [...(scripts.get(path) ?? []), ...answers]),
  };
}

function deltaOp(clock: number): DeltaOp {
  return {
    clock,
    op_type: 'create',
    path: `/f${clock}`,
    owner: 'admin',
    timestamp: '2030-01-01T00:00:00.000Z',
    size: clock,
  };
}

function page(clocks: number[], fields: Partial<DeltaPage> = {}): Answer {
  const current = clocks.at(-1) ?? 0;
  const body: DeltaPage = {
    epoch: EPOCH,
    current_clock: current,
    oldest_clock: 1,
    ops: clocks.map(deltaOp),
    count: clocks.length,
    has_more: false,
    ...fields,
  };
  return { status: 200, body };
}

function gone(current: number, code = 'cursor_expired'): Answer {
  return {
    status: 410,
    body: {
      error: 'gone',
      error_code: code,
      epoch: NEW_EPOCH,
      current_clock: current,
      oldest_clock: 5,
    },
  };
}

function setUp(options: Partial<FerroClientOptions> = {}) {
  const sockets = fakeSockets();
  const http = fakeHttp();
  const sut = new FerroClient({
    url: 'http://ferro.test/',
    WebSocket: sockets.WebSocket,
    fetch: http.fetch,
    backoffBaseMs: 8,
    backoffCapMs: 40,
    stableAfterMs: 60_000,
    random: () => 0.5,
    ...options,
  });
  const seen = {
    states: [] as ClientState[],
    ops: [] as FerroOp[],
    errors: [] as FerroClientError[],
    resyncs: [] as ResyncNotice[],
  };
  sut.on('state', (state) => seen.states.push(state));
  sut.on('op', (op) => seen.ops.push(op));
  sut.on('error', (error) => seen.errors.push(error));
  sut.on('resync', (notice) => seen.resyncs.push(notice));
  const clocks = (): number[] => seen.ops.map((op) => op.clock);
  const names = (): string[] => seen.states.map((s) => s.state);
  /** The n-th socket (1-based) once the client has made it. */
  const socket = async (n: number): Promise<FakeSocket> => {
    await vi.waitFor(() => expect(sockets.made.length).toBeGreaterThanOrEqual(n));
    return sockets.made[n - 1];
  };
  return { sut, http, sockets, seen, clocks, names, socket };
}

const FULL_CURSOR = { clock: 3, epoch: EPOCH };

describe('FerroClient', () => {
  let close: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await close?.();
    close = undefined;
    vi.useRealTimers();
  });

  function started(options: Partial<FerroClientOptions> = {}): ReturnType<typeof setUp> {
    const parts = setUp(options);
    close = () => parts.sut.close();
    return parts;
  }

  describe('finding its place', () => {
    it('without a cursor, starts after the newest op the delta names', async () => {
      const { sut, http, socket, names } = started();
      http.answer('/api/sync/delta', page([1], { current_clock: 41 }));

      sut.start();
      const first = await socket(1);
      first.open();

      expect(http.requests).toEqual([
        expect.objectContaining({ method: 'GET', query: { limit: '1' } }),
      ]);
      expect(first.url).toBe(`ws://ferro.test/api/ws?since=41&epoch=${EPOCH}`);
      expect(sut.cursor).toEqual({ clock: 41, epoch: EPOCH });
      expect(names()).toEqual(['catching_up', 'connecting', 'open']);
    });

    it('with a full cursor, opens the socket there straight away', async () => {
      const { sut, http, socket } = started({ cursor: FULL_CURSOR });

      sut.start();
      const first = await socket(1);

      expect(first.query).toEqual({ since: '3', epoch: EPOCH });
      expect(http.requests).toEqual([]);
    });

    it('with a cursor but no epoch, reads the delta first to learn the log', async () => {
      const { sut, http, socket, clocks } = started({ cursor: { clock: 3 } });
      http.answer('/api/sync/delta', page([4, 5]));

      sut.start();
      const first = await socket(1);

      expect(http.requests[0].query).toEqual({ since: '3', limit: '1000' });
      expect(clocks()).toEqual([4, 5]);
      expect(first.query).toEqual({ since: '5', epoch: EPOCH });
    });

    it('with https, opens wss under the same path prefix', async () => {
      const { sut, socket } = started({ url: 'https://ferro.test/files', cursor: FULL_CURSOR });

      sut.start();
      const first = await socket(1);

      expect(first.url).toBe(`wss://ferro.test/files/api/ws?since=3&epoch=${EPOCH}`);
    });
  });

  describe('on the socket', () => {
    it('delivers each op once and in order, with its file event, and health as it comes', async () => {
      const { sut, seen, socket, clocks } = started({ cursor: FULL_CURSOR });
      const health = vi.fn();
      sut.on('health', health);
      sut.start();
      const first = await socket(1);
      first.open();

      first.op(4);
      first.op(3);
      first.send({ type: 'storage_health', healthy: false, backend: 'local' });
      first.op(5);
      first.send({ type: 'something_new', clock: 6 });

      expect(clocks()).toEqual([4, 5]);
      expect(seen.ops[0]).toEqual({
        clock: 4,
        op_type: 'create',
        path: '/f4',
        event: { type: 'file_created', path: '/f4', size: 4, owner: 'admin' },
      });
      expect(health).toHaveBeenCalledWith({
        type: 'storage_health',
        healthy: false,
        backend: 'local',
      });
      expect(sut.cursor).toEqual({ clock: 5, epoch: EPOCH });
    });

    it('on a gap, stops trusting the socket, catches up through the delta and resumes at once', async () => {
      const { sut, http, seen, socket, clocks, names } = started({ cursor: FULL_CURSOR });
      http.answer('/api/sync/delta', page([5, 6, 7]));
      sut.start();
      const first = await socket(1);
      first.open();

      first.op(4);
      first.op(6);
      first.op(7);
      const second = await socket(2);

      expect(first.closedByClient).toEqual({ code: 1000, reason: 'catching up' });
      expect(http.requests[0].query).toEqual({ since: '4', limit: '1000', epoch: EPOCH });
      expect(clocks()).toEqual([4, 5, 6, 7]);
      expect(second.query).toMatchObject({ since: '7' });
      expect(names()).toEqual(['connecting', 'open', 'reconnecting', 'catching_up', 'connecting']);
      expect(seen.states[2]).toEqual({ state: 'reconnecting', delay: 0, attempt: 0 });
    });

    it('after a 4000 close, catches up and resumes at once; a second lag before stable backs off', async () => {
      const { sut, http, seen, socket, clocks } = started({ cursor: FULL_CURSOR });
      http.answer('/api/sync/delta', page([4, 5]), page([6]));
      sut.start();
      const first = await socket(1);
      first.open();

      first.drop(4000);
      const second = await socket(2);
      second.open();
      second.drop(4000);
      await socket(3);

      const waits = seen.states.filter((s) => s.state === 'reconnecting');
      expect(clocks()).toEqual([4, 5, 6]);
      expect(second.query).toMatchObject({ since: '5' });
      expect(waits).toEqual([
        { state: 'reconnecting', delay: 0, attempt: 0 },
        { state: 'reconnecting', delay: 4, attempt: 1 },
      ]);
    });

    it('after a drop, resumes with since and no delta', async () => {
      const { sut, http, socket } = started({ cursor: FULL_CURSOR });
      sut.start();
      const first = await socket(1);
      first.open();
      first.op(4);

      first.drop(1001);
      const second = await socket(2);

      expect(second.query).toEqual({ since: '4', epoch: EPOCH });
      expect(http.requests).toEqual([]);
    });
  });

  describe('after a connect that failed', () => {
    it('asks the delta with its cursor; a 410 resyncs it to the server clock and epoch', async () => {
      const { sut, http, seen, socket, names } = started({ cursor: FULL_CURSOR });
      http.answer('/api/sync/delta', gone(90));
      sut.start();

      (await socket(1)).refuse();
      const second = await socket(2);

      expect(http.requests[0].query).toEqual({ since: '3', limit: '1000', epoch: EPOCH });
      expect(seen.resyncs).toEqual([
        {
          reason: 'cursor_expired',
          epoch: NEW_EPOCH,
          current_clock: 90,
          oldest_clock: 5,
          lost: FULL_CURSOR,
        },
      ]);
      expect(sut.cursor).toEqual({ clock: 90, epoch: NEW_EPOCH });
      expect(second.query).toEqual({ since: '90', epoch: NEW_EPOCH });
      expect(names()).toEqual(['connecting', 'reconnecting', 'catching_up', 'connecting']);
      expect(seen.errors[0]).toMatchObject({
        kind: 'network',
        message: expect.stringMatching(/410/),
      });
    });

    it('backs off, delivers what the delta answers, then connects at once', async () => {
      const { sut, http, seen, socket, clocks } = started({ cursor: FULL_CURSOR });
      http.answer('/api/sync/delta', page([4]));
      sut.start();

      (await socket(1)).refuse();
      const second = await socket(2);

      expect(clocks()).toEqual([4]);
      expect(seen.resyncs).toEqual([]);
      expect(seen.states).toEqual([
        { state: 'connecting' },
        { state: 'reconnecting', delay: 4, attempt: 1 },
        { state: 'catching_up', since: 3 },
        { state: 'connecting' },
      ]);
      expect(second.query).toMatchObject({ since: '4' });
    });

    it('resyncs once when the upgrade and the delta both answer 410, and connects with the fresh cursor at once', async () => {
      const { sut, http, seen, socket } = started({ cursor: FULL_CURSOR });
      http.answer('/api/sync/delta', gone(90));
      sut.start();

      (await socket(1)).refuse();
      const second = await socket(2);
      second.open();
      second.op(91);

      const afterResync = seen.states.slice(
        seen.states.findIndex((s) => s.state === 'catching_up'),
      );
      expect(afterResync).toEqual([
        { state: 'catching_up', since: 3 },
        { state: 'connecting' },
        { state: 'open' },
      ]);
      expect(seen.resyncs).toHaveLength(1);
      expect(second.query).toEqual({ since: '90', epoch: NEW_EPOCH });
      expect(seen.ops.map((op) => op.clock)).toEqual([91]);
    });

    it('keeps backing off, wider each time, while the upgrade is refused though the delta answers', async () => {
      const { sut, http, seen, socket } = started({ cursor: FULL_CURSOR });
      http.answer('/api/sync/delta', page([]), page([]), page([]));
      sut.start();

      for (let n = 1; n <= 3; n++) {
        (await socket(n)).refuse();
      }
      await socket(4);

      const delays = seen.states.flatMap((s) => (s.state === 'reconnecting' ? [s.delay] : []));
      expect(delays).toEqual([4, 8, 16]);
      expect(http.requests).toHaveLength(3);
    });

    it('keeps backing off while the delta cannot be reached either', async () => {
      const { sut, http, seen, socket } = started({ cursor: FULL_CURSOR });
      const down = (): Promise<Answer> => Promise.reject(new Error('ECONNREFUSED'));
      http.answer('/api/sync/delta', down, down, page([]));
      sut.start();

      (await socket(1)).refuse();
      await socket(2);

      const delays = seen.states.flatMap((s) => (s.state === 'reconnecting' ? [s.delay] : []));
      expect(delays).toEqual([4, 8, 16]);
      expect(seen.errors.map((error) => error.kind)).toEqual(['network', 'network', 'network']);
    });
  });

  describe('a silent socket', () => {
    it('is taken for lost after idleTimeoutMs, and resumed with since without the delta', async () => {
      vi.useFakeTimers();
      const { sut, http, socket, names } = started({ cursor: FULL_CURSOR, idleTimeoutMs: 5_000 });
      sut.start();
      const first = await socket(1);
      first.open();
      first.op(4);
      first.deaf = true;

      await vi.advanceTimersByTimeAsync(5_000);
      const second = await socket(2);

      expect(first.closedByClient).toEqual({ code: 1000, reason: 'nothing heard for 5000 ms' });
      expect(second.query).toEqual({ since: '4', epoch: EPOCH });
      expect(http.requests).toEqual([]);
      expect(names()).toEqual(['connecting', 'open', 'reconnecting', 'connecting']);
    });
  });

  describe('a request that gets no answer', () => {
    /** What a real fetch does on a dead line: nothing, until it is aborted. */
    function unanswered(aborts: unknown[]): (signal: AbortSignal) => Promise<Answer> {
      return (signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            aborts.push(signal.reason);
            reject(new Error('aborted'));
          }),
        );
    }

    /** A fetch that does not listen to its signal at all. */
    const deaf = (): Promise<Answer> => new Promise(() => {});

    it('gives a delta page up after requestTimeoutMs, reports it, backs off and asks again', async () => {
      vi.useFakeTimers();
      const { sut, http, seen, socket, clocks, names } = started({
        cursor: FULL_CURSOR,
        requestTimeoutMs: 5_000,
      });
      const aborts: unknown[] = [];
      http.answer('/api/sync/delta', unanswered(aborts), page([4]));
      sut.start();
      (await socket(1)).refuse();
      await vi.waitFor(() => expect(http.requests).toHaveLength(1));

      await vi.advanceTimersByTimeAsync(5_000);
      const second = await socket(2);

      expect(aborts).toHaveLength(1);
      expect(seen.errors[1]).toMatchObject({
        kind: 'network',
        message: 'the delta request did not finish within 5000 ms (requestTimeoutMs)',
      });
      expect(names()).toEqual([
        'connecting',
        'reconnecting',
        'catching_up',
        'reconnecting',
        'catching_up',
        'connecting',
      ]);
      expect(clocks()).toEqual([4]);
      expect(second.query).toEqual({ since: '4', epoch: EPOCH });
    });

    it('gives a ticket request up even when fetch ignores the abort', async () => {
      vi.useFakeTimers();
      const { sut, http, seen, socket } = started({
        cursor: FULL_CURSOR,
        auth: { type: 'basic', user: 'admin', password: 'secret' },
        requestTimeoutMs: 5_000,
      });
      http.answer('/api/ws/ticket', deaf, { status: 201, body: { ticket: 't' } });
      sut.start();
      await vi.waitFor(() => expect(http.requests).toHaveLength(1));

      await vi.advanceTimersByTimeAsync(5_000);
      const first = await socket(1);

      expect(seen.errors).toEqual([
        expect.objectContaining({
          kind: 'network',
          message: 'the ticket request did not finish within 5000 ms (requestTimeoutMs)',
        }),
      ]);
      expect(seen.states).toContainEqual({ state: 'reconnecting', delay: 4, attempt: 1 });
      expect(first.query).toMatchObject({ ticket: 't' });
    });

    it('times each delta page on its own', async () => {
      vi.useFakeTimers();
      const { sut, http, seen, socket, clocks } = started({
        cursor: { clock: 0 },
        requestTimeoutMs: 5_000,
      });
      const slow = (answer: Answer) => () =>
        new Promise<Answer>((resolve) => setTimeout(() => resolve(answer), 4_000));
      http.answer(
        '/api/sync/delta',
        slow(page([1], { has_more: true })),
        slow(page([2], { has_more: true })),
        slow(page([3])),
      );
      sut.start();

      await vi.advanceTimersByTimeAsync(12_000);
      await socket(1);

      expect(clocks()).toEqual([1, 2, 3]);
      expect(seen.errors).toEqual([]);
    });

    it('is never given up with requestTimeoutMs 0', async () => {
      vi.useFakeTimers();
      const { sut, http, seen } = started({ cursor: { clock: 0 }, requestTimeoutMs: 0 });
      http.answer('/api/sync/delta', deaf);
      sut.start();
      await vi.waitFor(() => expect(http.requests).toHaveLength(1));

      await vi.advanceTimersByTimeAsync(3_600_000);

      expect(seen.errors).toEqual([]);
      expect(sut.state).toEqual({ state: 'catching_up', since: 0 });
    });
  });

  describe('backoff', () => {
    it('widens each delay with full jitter up to the cap, and starts over after a stable connection', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const { sut, seen, socket } = started({ cursor: FULL_CURSOR, stableAfterMs: 1_000 });
      sut.start();

      for (let n = 1; n <= 4; n++) {
        const unstable = await socket(n);
        unstable.open();
        unstable.drop();
      }
      const stable = await socket(5);
      stable.open();
      vi.setSystemTime(Date.now() + 1_000);
      stable.drop();
      await socket(6);

      const delays = seen.states.flatMap((s) => (s.state === 'reconnecting' ? [s.delay] : []));
      expect(delays).toEqual([4, 8, 16, 20, 4]);
    });
  });

  describe('auth', () => {
    it('buys a single-use ticket with basic credentials for each socket', async () => {
      const { sut, http, socket } = started({
        cursor: FULL_CURSOR,
        auth: { type: 'basic', user: 'admin', password: 'pässword:x' },
      });
      http.answer(
        '/api/ws/ticket',
        { status: 201, body: { ticket: 't1' } },
        { status: 201, body: { ticket: 't2' } },
      );
      sut.start();

      const first = await socket(1);
      first.open();
      first.drop();
      const second = await socket(2);

      expect(http.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
        ['POST', '/api/ws/ticket', 'Basic YWRtaW46cMOkc3N3b3JkOng='],
        ['POST', '/api/ws/ticket', 'Basic YWRtaW46cMOkc3N3b3JkOng='],
      ]);
      expect(first.query).toEqual({ since: '3', epoch: EPOCH, ticket: 't1' });
      expect(second.query).toMatchObject({ ticket: 't2' });
    });

    it('asks a token provider for a fresh bearer token on each request', async () => {
      let issued = 0;
      const { sut, http, socket } = started({
        auth: { type: 'bearer', token: async () => `token-${++issued}` },
      });
      http.answer('/api/sync/delta', page([]));
      http.answer('/api/ws/ticket', { status: 201, body: { ticket: 't' } });
      sut.start();

      await socket(1);

      expect(http.requests.map((r) => r.headers.authorization)).toEqual([
        'Bearer token-1',
        'Bearer token-2',
      ]);
    });

    it('reports a 401 on the ticket and keeps backing off', async () => {
      const { sut, http, seen, socket } = started({
        cursor: FULL_CURSOR,
        auth: { type: 'bearer', token: 'stale' },
      });
      const refused = { status: 401, body: { error: 'no', error_code: 'unauthorized' } };
      http.answer('/api/ws/ticket', refused, { status: 201, body: { ticket: 't' } });
      sut.start();

      await socket(1);

      expect(seen.errors).toEqual([
        expect.objectContaining({ kind: 'auth', status: 401, errorCode: 'unauthorized' }),
      ]);
      expect(seen.states).toContainEqual({ state: 'reconnecting', delay: 4, attempt: 1 });
    });

    it('sends no credentials and no ticket with auth off', async () => {
      const { sut, http, socket } = started();
      http.answer('/api/sync/delta', page([]));
      sut.start();

      const first = await socket(1);

      expect(http.requests[0].headers).toEqual({ accept: 'application/json' });
      expect(first.query).not.toHaveProperty('ticket');
    });
  });

  describe('the delta', () => {
    it('is read page by page until has_more is false', async () => {
      const { sut, http, socket, clocks } = started({ cursor: { clock: 0 }, deltaLimit: 2 });
      http.answer(
        '/api/sync/delta',
        page([1, 2], { has_more: true }),
        page([3, 4], { has_more: true }),
        page([5]),
      );
      sut.start();

      const first = await socket(1);

      expect(http.requests.map((r) => r.query.since)).toEqual(['0', '2', '4']);
      expect(clocks()).toEqual([1, 2, 3, 4, 5]);
      expect(first.query).toMatchObject({ since: '5' });
    });

    it('is not trusted when it says has_more but brings nothing new', async () => {
      const { sut, http, seen } = started({ cursor: { clock: 2 } });
      http.answer('/api/sync/delta', page([1, 2], { has_more: true }));
      sut.start();

      await vi.waitFor(() => expect(seen.errors.length).toBeGreaterThan(0));

      expect(seen.errors[0]).toMatchObject({ kind: 'protocol' });
    });
  });

  describe('close', () => {
    it('leaves no timer behind and sends nothing after the closed state', async () => {
      vi.useFakeTimers();
      const { sut, seen, socket } = setUp({ cursor: FULL_CURSOR, backoffBaseMs: 60_000 });
      sut.start();
      (await socket(1)).drop();
      await vi.waitFor(() => expect(sut.state.state).toBe('reconnecting'));

      await sut.close();

      expect(vi.getTimerCount()).toBe(0);
      expect(seen.states.at(-1)).toEqual({ state: 'closed' });
      expect(() => sut.start()).toThrow(/closed/);
    });

    it('closes the open socket and ignores what it still receives', async () => {
      const { sut, seen, socket } = setUp({ cursor: FULL_CURSOR });
      sut.start();
      const first = await socket(1);
      first.open();

      const closing = sut.close();
      first.op(4);
      await closing;

      expect(first.closedByClient).toEqual({ code: 1000, reason: 'client closed' });
      expect(seen.ops).toEqual([]);
      expect(seen.states.at(-1)).toEqual({ state: 'closed' });
    });

    it('does not wait more than the grace for a peer that never answers the close', async () => {
      vi.useFakeTimers();
      const { sut, socket } = setUp({ cursor: FULL_CURSOR });
      sut.start();
      const first = await socket(1);
      first.open();
      first.deaf = true;

      const closing = sut.close();
      await vi.advanceTimersByTimeAsync(CLOSE_GRACE_MS);
      await closing;

      expect(first.closedByClient).toEqual({ code: 1000, reason: 'client closed' });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('cuts short at once a request whose fetch ignores the abort, and leaves no timer behind', async () => {
      vi.useFakeTimers();
      const { sut, http, seen } = setUp({ requestTimeoutMs: 5_000 });
      http.answer('/api/sync/delta', () => new Promise<Answer>(() => {}));
      sut.start();
      await vi.waitFor(() => expect(http.requests).toHaveLength(1));

      await sut.close();

      expect(vi.getTimerCount()).toBe(0);
      expect(seen.errors).toEqual([]);
      expect(seen.states.at(-1)).toEqual({ state: 'closed' });
    });

    it('aborts a delta request in flight without reporting it', async () => {
      const { sut, http, seen } = setUp();
      let aborted = false;
      http.answer(
        '/api/sync/delta',
        (signal) =>
          new Promise<Answer>((_resolve, reject) =>
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('aborted'));
            }),
          ),
      );
      sut.start();
      await vi.waitFor(() => expect(http.requests).toHaveLength(1));

      await sut.close();

      expect(aborted).toBe(true);
      expect(seen.errors).toEqual([]);
      expect(seen.states.at(-1)).toEqual({ state: 'closed' });
    });
  });
});
