import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { once } from 'node:events';

import { HttpStatus, Inject, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { WebSocketGateway } from '@nestjs/websockets';
import type { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit } from '@nestjs/websockets';
import { WebSocket } from 'ws';
import type { VerifyClientCallbackAsync, WebSocketServer } from 'ws';

import { principalOf } from '../auth/principal.js';
import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';
import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { FerroEvent } from '../events/ferro-events.js';
import type { StorageHealthEvent, SyncOp } from '../events/ferro-events.js';
import { healthEventOf, wireEventsOf } from '../events/wire-events.js';
import type { WireEvent } from '../events/wire-events.js';
import { malformedUpgradeRefusal, refusal, writeRefusal } from './handshake-refusal.js';
import type { HandshakeRefusal } from './handshake-refusal.js';
import { FerroMetrics } from '../metrics/ferro-metrics.js';
import { SyncService } from '../sync/sync.service.js';
import { resumeCursorOf } from './resume-cursor.js';
import { textFrames } from './text-frames.js';
import { UpgradeVerifier } from './upgrade-verifier.js';
import { WireEncoder } from './wire-encoder.js';
import {
  CloseCode,
  LAGGING_REASON,
  MAX_CLIENT_FRAME_BYTES,
  SHUTDOWN_GRACE_MS,
  SHUTDOWN_REASON,
  WS_PATH,
} from './ws.constants.js';

/** What the gateway tracks for one connection. */
interface ClientState {
  /**
   * Messages queued in user space since the socket last had an empty
   * buffer, i.e. messages the kernel would not take because the client is
   * not reading. Reset whenever the buffer drains.
   */
  queued: number;
  /** Answered the last heartbeat ping (or has not been pinged yet). */
  alive: boolean;
  /**
   * False while the client is being sent the ops it missed (`?since=N`);
   * broadcasts skip it until the replay has caught up with the log.
   */
  live: boolean;
}

/** The answer to an upgrade that arrives once shutdown began. */
const SHUTTING_DOWN: HandshakeRefusal = refusal(
  HttpStatus.SERVICE_UNAVAILABLE,
  ErrorCode.ShuttingDown,
  'The server is shutting down',
  { 'Retry-After': '5' },
);

/** Ops read from the log per replay step. */
const REPLAY_PAGE = 256;

/**
 * Bytes a replay may leave in a socket's user-space buffer before it waits
 * for `drain`: a client resuming from far back is fed as fast as it reads,
 * never buffered whole.
 */
const REPLAY_HIGH_WATER = 256 * 1024;

/**
 * Pushes file events to every connected client at `/api/ws`.
 *
 * The channel is one-way: the gateway registers no message handlers, and
 * `ws` itself answers pings and close frames. Each op is rendered once as
 * its file event followed by its `sync_op`, encoded and framed once. The
 * frames of every op recorded in the same turn of the event loop are
 * written to each client together, so a busy server costs one write per
 * client per turn rather than one per op.
 */
@WebSocketGateway({
  path: WS_PATH,
  maxPayload: MAX_CLIENT_FRAME_BYTES,
  perMessageDeflate: false,
  clientTracking: false,
})
export class EventsGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown
{
  private readonly logger = new Logger(EventsGateway.name);
  private readonly clients = new Map<WebSocket, ClientState>();
  private readonly bufferLimit: number;
  private readonly heartbeatMs: number;
  private heartbeat?: NodeJS.Timeout;
  private readonly onPong: (this: WebSocket) => void;
  /** Frames of this turn's events, not yet written. */
  private pending: Buffer[] = [];
  private pendingMessages = 0;
  private flushScheduled?: NodeJS.Immediate;
  /** Set once shutdown began: no new client is let in from then on. */
  private stopping = false;

  constructor(
    private readonly verifier: UpgradeVerifier,
    private readonly sync: SyncService,
    private readonly encoder: WireEncoder,
    private readonly metrics: FerroMetrics,
    @Inject(FERRO_OPTIONS) options: FerroRealtimeOptions,
  ) {
    this.bufferLimit = options.wsBuffer;
    this.heartbeatMs = options.wsHeartbeatMs;
    const clients = this.clients;
    // One handler shared by every client (`ws` calls it with the client as
    // `this`) rather than a closure per connection.
    this.onPong = function (this: WebSocket) {
      const state = clients.get(this);
      if (state) {
        state.alive = true;
      }
    };
  }

  afterInit(server: WebSocketServer): void {
    // Set here rather than in the decorator so the check can use injected
    // services; `ws` runs it before the upgrade, whichever adapter is in use.
    server.options.verifyClient = this.verifyClient;
    // Without a listener `ws` answers malformed upgrades in text/html.
    server.on('wsClientError', (error: Error, socket: Duplex) => {
      const refusal = malformedUpgradeRefusal(error);
      this.metrics.refused(refusal.status);
      writeRefusal(socket, refusal);
    });
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs).unref();
    this.logger.log(`WebSocket gateway ready at ${WS_PATH}`);
  }

  handleConnection(client: WebSocket, req: IncomingMessage): void {
    this.metrics.connections.inc();
    if (this.stopping) {
      // Verified just before shutdown began: not one to wait for.
      client.terminate();
      return;
    }
    const { since } = resumeCursorOf(req);
    const state: ClientState = { queued: 0, alive: true, live: since === undefined };
    this.clients.set(client, state);
    client.on('pong', this.onPong);
    this.logger.debug(`${principalOf(req).name} connected from ${req.socket.remoteAddress}`);
    if (since !== undefined) {
      this.replay(client, state, since);
    }
  }

  handleDisconnect(client: WebSocket): void {
    this.clients.delete(client);
    this.metrics.connections.dec();
  }

  /**
   * Says goodbye with 1001 before Nest tears the server down (which would
   * otherwise cut every socket without a close frame), waits a moment for
   * clients to answer, and cuts the ones that do not, so a peer that ignores
   * the close frame cannot hold the shutdown for `ws`'s 30 s close timeout.
   */
  async beforeApplicationShutdown(): Promise<void> {
    // The HTTP server still listens until the app closes it after this
    // hook; a client let in meanwhile would get no 1001 and hold the close.
    this.stopping = true;
    clearInterval(this.heartbeat);
    this.flush();
    const clients = [...this.clients.keys()];
    const closing = clients.map((client) => {
      client.close(CloseCode.GoingAway, SHUTDOWN_REASON);
      return once(client, 'close');
    });
    const deadline = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([Promise.all(closing), deadline]);
    for (const client of clients) {
      client.terminate();
    }
  }

  @OnEvent(FerroEvent.SyncOp)
  onSyncOp(op: SyncOp): void {
    this.enqueue(wireEventsOf(op));
  }

  @OnEvent(FerroEvent.StorageHealth)
  onStorageHealth(event: StorageHealthEvent): void {
    this.enqueue([healthEventOf(event)]);
  }

  private readonly verifyClient: VerifyClientCallbackAsync<IncomingMessage> = (info, done) => {
    if (this.stopping) {
      this.metrics.refused(SHUTTING_DOWN.status);
      done(false, SHUTTING_DOWN.status, SHUTTING_DOWN.body, SHUTTING_DOWN.headers);
      return;
    }
    this.verifier.verify(info.req).then(
      (refusal) =>
        refusal ? done(false, refusal.status, refusal.body, refusal.headers) : done(true),
      (error: unknown) => {
        this.logger.error(error instanceof Error ? error.stack : String(error));
        done(false, 500);
      },
    );
  };

  /**
   * Drops every connection that did not answer the previous ping, then
   * pings the rest: a peer that vanished without a close (a cut cable, a
   * killed laptop) is gone within two intervals and frees its slot.
   */
  private beat(): void {
    for (const [client, state] of this.clients) {
      if (!state.alive) {
        this.logger.debug('dropped a connection that did not answer its ping');
        client.terminate();
        continue;
      }
      state.alive = false;
      client.ping();
    }
  }

  /**
   * Validates, serializes and frames each event once, and holds the frames
   * until the end of this turn of the event loop: every op recorded by then
   * (a burst of uploads finishing together) reaches each client in one
   * write.
   */
  private enqueue(events: WireEvent[]): void {
    const payloads: Buffer[] = [];
    for (const event of events) {
      const payload = this.encoder.encode(event);
      if (payload !== undefined) {
        payloads.push(payload);
        this.metrics.eventsBroadcast.inc({ type: event.type });
      }
    }
    if (payloads.length === 0) {
      return;
    }

    this.pending.push(textFrames(payloads));
    this.pendingMessages += payloads.length;
    this.flushScheduled ??= setImmediate(() => this.flush());
  }

  /** Writes the frames held so far to every live client, the same bytes to each. */
  private flush(): void {
    if (this.flushScheduled) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = undefined;
    }
    if (this.pendingMessages === 0) {
      return;
    }

    const wire = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    const messages = this.pendingMessages;
    this.pending = [];
    this.pendingMessages = 0;

    let delivered = 0;
    for (const [client, state] of this.clients) {
      if (!state.live || client.readyState !== WebSocket.OPEN) {
        continue;
      }
      // A socket the kernel keeps up with never buffers in user space, so
      // only messages sent while data is still waiting count against the
      // limit; no per-send callback is needed to know.
      state.queued = client.bufferedAmount > 0 ? state.queued + messages : 0;
      if (state.queued > this.bufferLimit) {
        this.dropLagging(client);
        continue;
      }
      socketOf(client).write(wire);
      delivered += messages;
    }
    this.metrics.messagesDelivered.inc(delivered);
  }

  /**
   * Sends a resuming client the events of every op after `since`, page by
   * page, one page per turn of the event loop and only as fast as it
   * reads, then makes it live. The last page
   * read and the switch happen in one synchronous step, after the frames
   * held for this turn went out to the others, so no op recorded meanwhile
   * is missed or sent twice: each is either in a page or in a later flush.
   */
  private replay(client: WebSocket, state: ClientState, since: number): void {
    const socket = socketOf(client);
    let cursor = since;
    while (client.readyState === WebSocket.OPEN) {
      let ops: SyncOp[];
      try {
        ops = this.sync.delta(cursor, REPLAY_PAGE).ops;
      } catch (error) {
        // Ops after the cursor left the log while this client read slowly.
        if (!(error instanceof FerroError)) {
          throw error;
        }
        this.dropLagging(client);
        return;
      }

      if (ops.length === 0) {
        this.flush();
        state.live = true;
        return;
      }

      const payloads = ops.flatMap((op) => wireEventsOf(op)).map((e) => this.encoder.encode(e));
      const frames = payloads.filter((payload): payload is Buffer => payload !== undefined);
      socket.write(textFrames(frames));
      this.metrics.messagesDelivered.inc(frames.length);
      cursor = ops[ops.length - 1].clock;
      if (socket.writableLength > REPLAY_HIGH_WATER) {
        socket.once('drain', () => this.replay(client, state, cursor));
        return;
      }
      if (ops.length === REPLAY_PAGE) {
        // More may follow: let other requests run between pages, so that a
        // long replay to a fast reader cannot hold the event loop.
        setImmediate(() => this.replay(client, state, cursor));
        return;
      }
    }
  }

  /**
   * A client that cannot keep up is closed rather than buffered without
   * bound; it has missed events and is told to catch up with the delta.
   */
  private dropLagging(client: WebSocket): void {
    this.logger.warn(`closing a client more than ${this.bufferLimit} messages behind`);
    this.clients.delete(client);
    this.metrics.laggingClosed.inc();
    client.close(CloseCode.Lagging, LAGGING_REASON);
  }
}

/**
 * The TCP socket under a `ws` connection. `ws` has no public way to write
 * frames built in advance; writing them on its socket is sound here
 * because permessage-deflate is off, so `ws` writes each of its own frames
 * (pongs, close) synchronously and nothing of its can be queued between
 * ours, and because we write only while the connection is OPEN.
 */
function socketOf(client: WebSocket): Duplex {
  return (client as unknown as { _socket: Duplex })._socket;
}
