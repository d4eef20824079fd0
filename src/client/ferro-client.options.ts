/** A bearer token, or a function that returns a fresh one when asked. */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * How the client authenticates. Basic and bearer credentials go on each
 * HTTP request, and the socket is opened with a single-use ticket bought
 * with them, since a browser `WebSocket` cannot send headers. A session
 * cookie goes with both by itself, from a page on the server's origin.
 */
export type FerroAuth =
  | { type: 'none' }
  | { type: 'basic'; user: string; password: string }
  | { type: 'bearer'; token: TokenSource }
  | { type: 'cookie' };

/** Where a client stands in the sync log; save it to resume later. */
export interface SyncCursor {
  /** Clock of the last op delivered; 0 asks for everything the log holds. */
  clock: number;
  /** The log the clock belongs to; a server that started over has another. */
  epoch?: string;
}

/** Bivariant in its argument, so both browser and `ws` handlers fit. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/**
 * The part of the WHATWG `WebSocket` the client uses; `ws` has it too,
 * and the optional members besides, which browsers lack.
 */
export interface WebSocketLike {
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onerror: Handler<unknown> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  close(code?: number, reason?: string): void;
  /** `ws`: its `'ping'` event tells a quiet connection from a dead one. */
  on?(event: 'ping', listener: () => void): unknown;
  off?(event: 'ping', listener: () => void): unknown;
  /** `ws`: cuts the connection without waiting for a close handshake. */
  terminate?(): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  credentials?: 'omit' | 'same-origin' | 'include';
}

export interface FetchResponse {
  status: number;
  json(): Promise<unknown>;
}

/** The part of `fetch` the client uses. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

export interface FerroClientOptions {
  /**
   * Base URL of the server, e.g. `https://files.example.com` (a path
   * prefix is kept); `api/ws` and `api/sync/delta` are resolved against it.
   */
  url: string;
  /** @default { type: 'none' } */
  auth?: FerroAuth;
  /**
   * Resume after this op, as saved from `client.cursor` by an earlier run.
   * @default undefined: deliver the ops recorded from the start on
   */
  cursor?: SyncCursor;
  /**
   * The WebSocket class; Node 20 has none built in, so pass the `ws`
   * package's `WebSocket` there.
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /**
   * Ceiling of the first reconnect delay, in milliseconds.
   * @default 1000
   */
  backoffBaseMs?: number;
  /**
   * Largest reconnect delay, in milliseconds.
   * @default 30000
   */
  backoffCapMs?: number;
  /**
   * A connection open this long counts as stable: the next reconnect
   * starts from the base delay again.
   * @default 10000
   */
  stableAfterMs?: number;
  /**
   * A socket that has received nothing for this long is taken for dead
   * and replaced, resuming with `since`; one that has not opened by then
   * is given up. The server pings every client each
   * `FERRO_WS_HEARTBEAT_MS` (30 s by default) and `ws` reports those
   * pings, so in Node a live connection is never silent that long. A
   * browser's WebSocket hides pings: there only messages count, and a
   * feed quiet for longer costs one harmless reconnect. Keep it above the
   * server's heartbeat; 0 turns the check off.
   * @default 75000
   */
  idleTimeoutMs?: number;
  /**
   * Longest time one HTTP request (a ticket, a delta page) may take, from
   * sending it to reading its body. One lost in a network that went
   * silent then fails like an unreachable server and is retried with
   * backoff, instead of waiting for the platform to give up (5 minutes
   * in Node). A close cuts a request short either way; 0 turns the
   * limit off.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * Source of the jitter, in [0, 1).
   * @default Math.random
   */
  random?: () => number;
  /**
   * Ops asked for per delta page while catching up (the server allows
   * 1 to 10000).
   * @default 1000
   */
  deltaLimit?: number;
}

/** The options with every default filled in and every value checked. */
export interface ResolvedOptions {
  base: URL;
  auth: FerroAuth;
  cursor?: SyncCursor;
  WebSocket: WebSocketConstructor;
  fetch: FetchLike;
  backoffBaseMs: number;
  backoffCapMs: number;
  stableAfterMs: number;
  idleTimeoutMs: number;
  requestTimeoutMs: number;
  random: () => number;
  deltaLimit: number;
}

/** Most ops the server returns per delta page. */
const MAX_DELTA_LIMIT = 10_000;

/** Throws a `TypeError` naming the first bad option. */
export function resolveOptions(options: FerroClientOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    base: baseUrlOf(options.url),
    auth: checkedAuth(options.auth ?? { type: 'none' }),
    cursor: options.cursor && checkedCursor(options.cursor),
    WebSocket: webSocketOf(options.WebSocket),
    fetch: fetchOf(options.fetch),
    backoffBaseMs: options.backoffBaseMs ?? 1_000,
    backoffCapMs: options.backoffCapMs ?? 30_000,
    stableAfterMs: options.stableAfterMs ?? 10_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 75_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    random: options.random ?? Math.random,
    deltaLimit: options.deltaLimit ?? 1_000,
  };
  const durations = [
    'backoffBaseMs',
    'backoffCapMs',
    'stableAfterMs',
    'idleTimeoutMs',
    'requestTimeoutMs',
  ] as const;
  for (const name of durations) {
    if (!Number.isFinite(resolved[name]) || resolved[name] < 0) {
      throw new TypeError(`${name} must be a number of milliseconds >= 0`);
    }
  }
  const limit = resolved.deltaLimit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_DELTA_LIMIT) {
    throw new TypeError(`deltaLimit must be an integer from 1 to ${MAX_DELTA_LIMIT}`);
  }
  if (typeof resolved.random !== 'function') {
    throw new TypeError('random must be a function');
  }
  return resolved;
}

/** Ends with `/`, so relative endpoints keep a path prefix. */
function baseUrlOf(url: string): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new TypeError(`url must be an absolute http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`url must be an absolute http(s) URL, got ${JSON.stringify(url)}`);
  }

  base.pathname = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  base.search = '';
  base.hash = '';
  return base;
}

function checkedAuth(auth: FerroAuth): FerroAuth {
  const valid =
    auth.type === 'none' ||
    auth.type === 'cookie' ||
    (auth.type === 'basic' && typeof auth.user === 'string' && typeof auth.password === 'string') ||
    (auth.type === 'bearer' && ['string', 'function'].includes(typeof auth.token));
  if (!valid) {
    throw new TypeError(
      'auth must be { type: "none" | "cookie" }, { type: "basic", user, password } or ' +
        '{ type: "bearer", token }',
    );
  }
  return auth;
}

function checkedCursor(cursor: SyncCursor): SyncCursor {
  if (!Number.isSafeInteger(cursor.clock) || cursor.clock < 0) {
    throw new TypeError('cursor.clock must be an integer >= 0');
  }
  if (cursor.epoch !== undefined && (typeof cursor.epoch !== 'string' || cursor.epoch === '')) {
    throw new TypeError('cursor.epoch must be the epoch a delta returned');
  }
  return { clock: cursor.clock, epoch: cursor.epoch };
}

function webSocketOf(given: WebSocketConstructor | undefined): WebSocketConstructor {
  const found = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof found !== 'function') {
    throw new TypeError(
      'no WebSocket here: pass one as the WebSocket option (in Node, `import { WebSocket } from "ws"`)',
    );
  }
  return found;
}

/**
 * Called without a receiver: a browser's `fetch` throws "Illegal
 * invocation" when called as a method of anything but `window`.
 */
function fetchOf(given: FetchLike | undefined): FetchLike {
  const found = given ?? (globalThis as { fetch?: FetchLike }).fetch;
  if (typeof found !== 'function') {
    throw new TypeError('no fetch here: pass one as the fetch option');
  }
  return (url, init) => found(url, init);
}
