import type { ServerResponse } from 'node:http';

import { Logger } from '@nestjs/common';

import { errorBody } from '../common/ferro.error.js';
import type { FerroError } from '../common/ferro.error.js';
import type { SyncOp } from '../events/ferro-events.js';
import type { SyncService, Unsubscribe } from './sync.service.js';

/** Injection token for {@link SyncStreamOptions}; optional, every field has a default. */
export const SYNC_STREAM_OPTIONS = Symbol('SYNC_STREAM_OPTIONS');

/** Tuning of the `GET /api/sync/events` stream. */
export interface SyncStreamOptions {
  /**
   * Interval of the `: keepalive` comment. Proxies commonly cut a response
   * that stays silent for 60 s, so this stays well under that.
   * @default 20000
   */
  keepaliveMs: number;
  /**
   * How long the socket may stay full (the client reads nothing) before
   * the stream is destroyed.
   * @default 30000
   */
  stallTimeoutMs: number;
  /**
   * Reconnect delay sent to clients as the `retry:` field.
   * @default 2000
   */
  retryMs: number;
}

export const DEFAULT_SYNC_STREAM_OPTIONS: SyncStreamOptions = {
  keepaliveMs: 20_000,
  stallTimeoutMs: 30_000,
  retryMs: 2000,
};

/**
 * `no-transform` stops `compression` middleware and transforming proxies
 * from holding events back to fill a gzip block; `X-Accel-Buffering` does
 * the same for nginx (case C06).
 */
const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
};

/**
 * One client's Server-Sent Events stream of sync ops, written straight on
 * the Node response so that headers, flushing and keepalives are ours.
 *
 * Backpressure: ops are pulled from the op log through a follow, and the
 * pull pauses while `write` reports a full socket and resumes on `drain`,
 * so a slow client holds a cursor, not a queue. A client that falls behind
 * by more than the log keeps gets a `cursor_expired` event and the stream
 * ends; one whose socket accepts nothing for `stallTimeoutMs` is destroyed.
 * Either way the client reconnects with `Last-Event-ID`.
 */
export class SyncEventStream {
  private readonly logger = new Logger(SyncEventStream.name);
  private unsubscribe?: Unsubscribe;
  private keepalive?: NodeJS.Timeout;
  private stall?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SyncStreamOptions,
    /** Called once when the stream ends, whoever ended it. */
    private readonly onClose: () => void,
  ) {}

  /**
   * Starts streaming ops after `since`, which the caller validated in the
   * same tick. A client that left while it was being authenticated has a
   * response that will never emit `close` again, so nothing is started.
   */
  start(sync: SyncService, since: number): void {
    if (this.res.destroyed || this.res.writableEnded) {
      this.close();
      return;
    }

    this.res.on('close', () => this.close());
    this.res.on('drain', () => this.onDrain());
    this.writeHead();
    this.keepalive = setInterval(() => this.ping(), this.options.keepaliveMs).unref();
    this.unsubscribe = sync.follow(
      since,
      (op) => this.send(op),
      (error) => this.expire(error),
    );
  }

  /** Ends the stream and releases its follow and timers; safe to call twice. */
  close(): void {
    if (this.closed) {
      return;
    }

    this.closed = true;
    clearInterval(this.keepalive);
    clearTimeout(this.stall);
    this.unsubscribe?.();
    if (!this.res.destroyed && !this.res.writableEnded) {
      this.res.end();
    }
    this.onClose();
  }

  private writeHead(): void {
    this.res.writeHead(200, STREAM_HEADERS);
    this.res.flushHeaders();
    this.write(`retry: ${this.options.retryMs}\n\n`);
  }

  private send(op: SyncOp): boolean {
    return this.write(`id: ${op.clock}\ndata: ${JSON.stringify(op)}\n\n`);
  }

  /** Skipped while the socket is full: the stream is not idle then. */
  private ping(): void {
    if (this.stall === undefined) {
      this.write(': keepalive\n\n');
    }
  }

  private expire(error: FerroError): void {
    this.logger.debug(`ended a sync stream that fell behind the log: ${error.message}`);
    this.write(`event: ${error.code}\ndata: ${JSON.stringify(errorBody(error))}\n\n`);
    this.close();
  }

  private write(chunk: string): boolean {
    if (this.closed) {
      return false;
    }

    const flushed = this.res.write(chunk);
    if (!flushed && this.stall === undefined) {
      this.stall = setTimeout(() => this.onStall(), this.options.stallTimeoutMs).unref();
    }
    return flushed;
  }

  private onDrain(): void {
    clearTimeout(this.stall);
    this.stall = undefined;
    // A socket that took the write at once emits drain on the next tick, so
    // resuming right here would replay a whole backlog without the event
    // loop ever getting a turn; the next turn is soon enough.
    setImmediate(() => this.unsubscribe?.resume());
  }

  private onStall(): void {
    const ms = this.options.stallTimeoutMs;
    this.logger.debug(`destroyed a sync stream whose client read nothing for ${ms} ms`);
    this.res.destroy();
    this.close();
  }
}
