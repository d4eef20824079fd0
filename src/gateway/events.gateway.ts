import type { IncomingMessage } from 'node:http';

import { Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { WebSocketGateway } from '@nestjs/websockets';
import type {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
} from '@nestjs/websockets';
import { WebSocket } from 'ws';
import type { VerifyClientCallbackAsync, WebSocketServer } from 'ws';

import { principalOf } from '../auth/principal.js';
import { FerroEvent } from '../events/ferro-events.js';
import type { StorageHealthEvent, SyncOp } from '../events/ferro-events.js';
import { healthEventOf, wireEventsOf } from '../events/wire-events.js';
import type { WireEvent } from '../events/wire-events.js';
import { UpgradeVerifier } from './upgrade-verifier.js';
import { WireEncoder } from './wire-encoder.js';
import { MAX_CLIENT_FRAME_BYTES, WS_PATH } from './ws.constants.js';

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
export class EventsGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(EventsGateway.name);
  private readonly clients = new Set<WebSocket>();

  constructor(
    private readonly verifier: UpgradeVerifier,
    private readonly encoder: WireEncoder,
  ) {}

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
    this.clients.add(client);
    client.on('error', (error) => this.logger.debug(`client error: ${error.message}`));
    this.logger.debug(`${principalOf(req).name} connected from ${req.socket.remoteAddress}`);
  }

  handleDisconnect(client: WebSocket): void {
    this.clients.delete(client);
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

    for (const client of this.clients) {
      if (client.readyState !== WebSocket.OPEN) {
        continue;
      }
      for (const frame of frames) {
        client.send(frame, { binary: false });
      }
    }
  }
}
