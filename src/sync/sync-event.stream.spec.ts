import { EventEmitter, once } from 'node:events';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';

import { FerroEventBus } from '../events/ferro-event-bus.js';
import { MemoryOpLog } from './op-log.js';
import { collect, waitForText } from '../../test/support/stream-text.js';
import { SyncEventStream } from './sync-event.stream.js';
import type { SyncStreamOptions } from './sync-event.stream.js';
import { SyncService } from './sync.service.js';

const OPTIONS: SyncStreamOptions = { keepaliveMs: 1000, stallTimeoutMs: 5000, retryMs: 2000 };

/** A strict stand-in for the Node response: only what the stream may call exists. */
class FakeResponse extends EventEmitter {
  destroyed = false;
  writableEnded = false;
  accepting = true;
  status?: number;
  headers?: Record<string, string>;
  flushed = false;
  readonly chunks: string[] = [];

  writeHead(status: number, headers: Record<string, string>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }

  flushHeaders(): void {
    this.flushed = true;
  }

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return this.accepting;
  }

  end(): this {
    this.writableEnded = true;
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    this.emit('close');
    return this;
  }

  /** The client catches up: the socket empties and Node emits `drain`. */
  drain(): void {
    this.accepting = true;
    this.emit('drain');
  }
}

function newSync(maxOps = 100): SyncService {
  return new SyncService(new MemoryOpLog(maxOps), new FerroEventBus(new EventEmitter2()));
}

function createOps(sync: SyncService, count: number): void {
  const first = sync.currentClock + 1;
  for (let i = first; i < first + count; i += 1) {
    sync.onFileCreated({ path: `/f${i}`, size: i, owner: 'admin' });
  }
}

function idsIn(chunks: string[]): number[] {
  return [...chunks.join('').matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
}

function setup(maxOps = 100) {
  const sync = newSync(maxOps);
  const res = new FakeResponse();
  const onClose = vi.fn();
  const sut = new SyncEventStream(res as unknown as ServerResponse, OPTIONS, onClose);
  return { sync, res, onClose, sut };
}

describe('SyncEventStream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('flushes the stream headers and the retry field before any op', () => {
    const { sync, res, sut } = setup();

    sut.start(sync, 0);

    expect(res.status).toBe(200);
    expect(res.headers).toEqual({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    expect(res.flushed).toBe(true);
    expect(res.chunks).toEqual(['retry: 2000\n\n']);
  });

  it('replays the ops after the cursor, then sends live ones, each with its clock as id', () => {
    const { sync, res, sut } = setup();
    createOps(sync, 3);

    sut.start(sync, 1);
    createOps(sync, 1);

    expect(idsIn(res.chunks)).toEqual([2, 3, 4]);
    expect(res.chunks[1]).toBe(`id: 2\ndata: ${JSON.stringify(sync.delta(1, 1).ops[0])}\n\n`);
  });

  it('sends a keepalive comment every keepaliveMs while idle', () => {
    const { sync, res, sut } = setup();
    sut.start(sync, 0);

    vi.advanceTimersByTime(3000);

    expect(res.chunks.slice(1)).toEqual(Array(3).fill(': keepalive\n\n'));
  });

  it('releases its follow and timers and reports once when the client goes away', () => {
    const { sync, res, onClose, sut } = setup();
    sut.start(sync, 0);

    res.destroy();
    res.emit('close');
    vi.advanceTimersByTime(10_000);

    expect(sync.followerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(res.chunks).toEqual(['retry: 2000\n\n']);
  });

  it('starts nothing for a client that left before the headers were written', () => {
    const { sync, res, onClose, sut } = setup();
    res.destroyed = true;

    sut.start(sync, 0);

    expect(res.status).toBeUndefined();
    expect(res.chunks).toEqual([]);
    expect(res.listenerCount('close')).toBe(0);
    expect(sync.followerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('pauses while the socket is full and resumes in order, a turn after drain', () => {
    const { sync, res, sut } = setup();
    sut.start(sync, 0);
    res.accepting = false;

    createOps(sync, 3);
    vi.advanceTimersByTime(1000);
    const whileFull = idsIn(res.chunks);
    res.drain();
    const onDrain = idsIn(res.chunks);
    // Delivery resumes on the next turn of the event loop.
    vi.advanceTimersByTime(0);

    expect(whileFull).toEqual([1]);
    expect(onDrain).toEqual([1]);
    expect(res.chunks).not.toContain(': keepalive\n\n');
    expect(idsIn(res.chunks)).toEqual([1, 2, 3]);
  });

  it('destroys a stream whose client reads nothing for stallTimeoutMs', () => {
    const debug = vi.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const { sync, res, onClose, sut } = setup();
    sut.start(sync, 0);
    res.accepting = false;
    createOps(sync, 1);

    vi.advanceTimersByTime(OPTIONS.stallTimeoutMs);

    expect(res.destroyed).toBe(true);
    expect(debug).toHaveBeenCalledWith(expect.stringContaining('read nothing for 5000 ms'));
    expect(sync.followerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('keeps a slow client that drains before the stall timeout', () => {
    const { sync, res, sut } = setup();
    sut.start(sync, 0);
    res.accepting = false;
    createOps(sync, 2);

    vi.advanceTimersByTime(OPTIONS.stallTimeoutMs - 1);
    res.drain();
    vi.advanceTimersByTime(OPTIONS.stallTimeoutMs);

    expect(res.destroyed).toBe(false);
    expect(idsIn(res.chunks)).toEqual([1, 2]);
  });

  it('ends with a cursor_expired event when the client falls behind the log', () => {
    vi.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const { sync, res, onClose, sut } = setup(3);
    sut.start(sync, 0);
    res.accepting = false;

    createOps(sync, 5);
    res.drain();
    vi.advanceTimersByTime(0);

    const last = res.chunks.at(-1) ?? '';
    expect(idsIn(res.chunks)).toEqual([1]);
    expect(last).toMatch(/^event: cursor_expired\ndata: \{.*\}\n\n$/);
    expect(JSON.parse(last.split('data: ')[1])).toMatchObject({
      error_code: 'cursor_expired',
      oldest_clock: 3,
      current_clock: 5,
    });
    expect(res.writableEnded).toBe(true);
    expect(sync.followerCount).toBe(0);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('ends the response when closed by the server', () => {
    const { sync, res, sut } = setup();
    sut.start(sync, 0);

    sut.close();

    expect(res.writableEnded).toBe(true);
    expect(sync.followerCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('SyncEventStream over HTTP', () => {
  let server: Server;
  let sync: SyncService;
  let open: Set<SyncEventStream>;

  beforeEach(async () => {
    sync = newSync();
    open = new Set();
    server = createServer((_req, res) => {
      const sut = new SyncEventStream(res, OPTIONS, () => open.delete(sut));
      open.add(sut);
      sut.start(sync, 0);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterEach(async () => {
    open.forEach((stream) => stream.close());
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  function get(headers: Record<string, string> = {}): Promise<IncomingMessage> {
    const { port } = server.address() as AddressInfo;
    const req = request({ port, host: '127.0.0.1', path: '/', headers });
    req.end();
    return once(req, 'response').then(([res]) => res as IncomingMessage);
  }

  it('answers with uncompressed event-stream headers even when gzip is accepted', async () => {
    const res = await get({ 'Accept-Encoding': 'gzip, br' });

    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache, no-transform');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.headers['content-encoding']).toBeUndefined();
    res.destroy();
  });

  it('delivers an op recorded after the client connected', async () => {
    const res = await get();
    const read = collect(res);
    await waitForText(read, /retry: 2000\n\n/);

    createOps(sync, 1);
    const text = await waitForText(read, /id: 1\n/);

    expect(text).toContain('"op_type":"create","path":"/f1"');
    res.destroy();
  });

  it('cleans up when the client aborts', async () => {
    const res = await get();
    await waitForText(collect(res), /retry/);

    res.destroy();
    await vi.waitFor(() => expect(open.size).toBe(0), { timeout: 2000 });

    expect(sync.followerCount).toBe(0);
  });
});
