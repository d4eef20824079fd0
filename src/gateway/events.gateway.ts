import type { IncomingMessage } from 'node:http';

import { once } from 'node:events';

import { Inject, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { WebSocketGateway } from '@nestjs/websockets';
import type { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit } from '@nestjs/websockets';
import { WebSocket } from 'ws';
import type { VerifyClientCallbackAsync, WebSocketServer } from 'ws';

import { principalOf } from '../auth/principal.js';
import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { FerroEvent } from '../events/ferro-events.js';
import type { StorageHealthEvent, SyncOp } from '../events/ferro-events.js';
import { healthEventOf, wireEventsOf } from '../events/wire-events.js';
import type { WireEvent } from '../events/wire-events.js';
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

/** Frames handed to `ws` for one client and not yet written to its socket. */
interface Backlog {
  pending: number;
  /** Bound once per client, so a send allocates no callback. */
  readonly written: () => void;
}

/**
 * Pushes file events to every connected client at `/api/ws`.
 *
 * The channel is one-way: the gateway registers no message handlers, and
 * `ws` itself answers pings and close frames. Each op is rendered once as
 * its file event followed by its `sync_op`, encoded once, and the same
 * buffers are written to every open connection.
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
  private readonly clients = new Map<WebSocket, Backlog>();
  private readonly bufferLimit: number;

  constructor(
    private readonly verifier: UpgradeVerifier,
    private readonly encoder: WireEncoder,
    @Inject(FERRO_OPTIONS) options: FerroRealtimeOptions,
  ) {
    this.bufferLimit = options.wsBuffer;
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  afterInit(server: WebSocketServer): void {
    // Set here rather than in the decorator so the check can use injected
    // services; `ws` runs it before the upgrade, whichever adapter is in use.
    server.options.verifyClient = this.verifyClient;
    this.logger.log(`WebSocket gateway ready at ${WS_PATH}`);
  }

  handleConnection(client: WebSocket, req: IncomingMessage): void {
    const backlog: Backlog = { pending: 0, written: () => backlog.pending-- };
    this.clients.set(client, backlog);
    client.on('error', (error) => this.logger.debug(`client error: ${error.message}`));
    this.logger.debug(`${principalOf(req).name} connected from ${req.socket.remoteAddress}`);
  }

  handleDisconnect(client: WebSocket): void {
    this.clients.delete(client);
  }

  /**
   * Says goodbye with 1001 before Nest tears the server down (which would
   * otherwise cut every socket without a close frame), and waits a moment
   * for clients to answer so they see a clean close.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const closing = [...this.clients.keys()].map((client) => {
      client.close(CloseCode.GoingAway, SHUTDOWN_REASON);
      return once(client, 'close');
    });
    const deadline = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([Promise.all(closing), deadline]);
  }

  @OnEvent(FerroEvent.SyncOp)
  onSyncOp(op: SyncOp): void {
    this.broadcast(wireEventsOf(op));
  }

  @OnEvent(FerroEvent.StorageHealth)
  onStorageHealth(event: StorageHealthEvent): void {
    this.broadcast([healthEventOf(event)]);
  }

  private readonly verifyClient: VerifyClientCallbackAsync<IncomingMessage> = (info, done) => {
    this.verifier.verify(info.req).then(
      (refusal) =>
        refusal ? done(false, refusal.status, refusal.body, refusal.headers) : done(true),
      (error: unknown) => {
        this.logger.error(error instanceof Error ? error.stack : String(error));
        done(false, 500);
      },
    );
  };

  private broadcast(events: WireEvent[]): void {
    const frames = events
      .map((event) => this.encoder.encode(event))
      .filter((frame): frame is Buffer => frame !== undefined);
    if (frames.length === 0) {
      return;
    }

    for (const [client, backlog] of this.clients) {
      if (client.readyState !== WebSocket.OPEN) {
        continue;
      }
      if (backlog.pending + frames.length > this.bufferLimit) {
        this.dropLagging(client);
        continue;
      }
      for (const frame of frames) {
        backlog.pending++;
        client.send(frame, { binary: false }, backlog.written);
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
    client.close(CloseCode.Lagging, LAGGING_REASON);
  }
}
