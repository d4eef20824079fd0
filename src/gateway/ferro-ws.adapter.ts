import * as http from 'node:http';
import type { Duplex } from 'node:stream';

import { HttpStatus } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import type { Observable } from 'rxjs';
import type { WebSocket, WebSocketServer } from 'ws';

import { ErrorCode } from '../common/error-codes.js';
import { pathOf } from '../common/request-target.js';
import { refusal, writeRefusal } from './handshake-refusal.js';

type UpgradeListener = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

type RoutedServer = WebSocketServer & { path: string };

/**
 * `WsAdapter` with two changes a public server needs:
 *
 * - an upgrade to a path no gateway serves gets a real HTTP 404 with a
 *   JSON body; the stock adapter resets the socket, which clients see as
 *   an opaque network failure (field case C01);
 * - a gateway without message handlers gets no message parsing at all,
 *   so a client flooding an ignored channel costs no `JSON.parse` per frame.
 *
 * Refusals on the gateway's own path (401, 403, 503) are decided by the
 * gateway through `ws`'s `verifyClient`, so they hold under any adapter.
 */
export class FerroWsAdapter extends WsAdapter {
  private readonly upgradeListeners = new Map<http.Server, UpgradeListener>();

  protected override ensureHttpServerExists(
    port: number,
    httpServer: http.Server = http.createServer(),
  ): http.Server | undefined {
    if (this.httpServersRegistry.has(port)) {
      return undefined;
    }

    this.httpServersRegistry.set(port, httpServer);
    const listener: UpgradeListener = (req, socket, head) => this.route(port, req, socket, head);
    httpServer.on('upgrade', listener);
    this.upgradeListeners.set(httpServer, listener);
    return httpServer;
  }

  override bindMessageHandlers(
    client: unknown,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    if (handlers.length === 0) {
      return;
    }

    super.bindMessageHandlers(client, handlers, transform);
  }

  /**
   * A client's socket error (a bad frame, a reset) is the client's problem
   * and is logged at debug; the stock adapter logs each one as an error with
   * a stack, which lets any hostile client flood the log.
   */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (ws: WebSocket) =>
      ws.on('error', (error) => this.logger.debug(`client socket error: ${error.message}`)),
    );
    server.on('error', (error) => this.logger.error(error));
    return server;
  }

  override async dispose(): Promise<void> {
    for (const [server, listener] of this.upgradeListeners) {
      server.off('upgrade', listener);
    }
    this.upgradeListeners.clear();
    await super.dispose();
  }

  private route(port: number, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = pathOf(req.url);
    const servers = (this.wsServersRegistry.get(port) ?? []) as RoutedServer[];
    const server = servers.find((candidate) => candidate.path === path);
    if (!server) {
      writeRefusal(socket, refusal(HttpStatus.NOT_FOUND, ErrorCode.NotFound, 'No WebSocket here'));
      return;
    }

    server.handleUpgrade(req, socket, head, (ws) => server.emit('connection', ws, req));
  }
}
