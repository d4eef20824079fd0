import type { IncomingMessage } from 'node:http';

import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';

import { AuthService } from '../auth/auth.service.js';
import { setPrincipal } from '../auth/principal.js';
import type { Principal } from '../auth/principal.js';
import { WsTicketService } from '../auth/ws-ticket.service.js';
import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';
import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { FerroMetrics } from '../metrics/ferro-metrics.js';
import { SyncService } from '../sync/sync.service.js';
import { ConnectionSlots } from './connection-slots.js';
import { refusal, refusalOf } from './handshake-refusal.js';
import type { HandshakeRefusal } from './handshake-refusal.js';
import { parseResumeCursor, setResumeCursor } from './resume-cursor.js';

/**
 * Decides, before any upgrade happens, whether an upgrade request to the
 * WebSocket may proceed: origin first (cheap, no secrets involved), then
 * credentials through the same `AuthService` as every HTTP route, then the
 * resume cursor, then a connection slot. A refusal is an HTTP answer with
 * a JSON body.
 */
@Injectable()
export class UpgradeVerifier {
  private readonly logger = new Logger(UpgradeVerifier.name);
  private readonly allowedOrigins: ReadonlySet<string>;
  readonly slots: ConnectionSlots;

  constructor(
    private readonly auth: AuthService,
    private readonly tickets: WsTicketService,
    private readonly metrics: FerroMetrics,
    private readonly sync: SyncService,
    @Inject(FERRO_OPTIONS) options: FerroRealtimeOptions,
  ) {
    this.allowedOrigins = new Set(options.allowedOrigins);
    this.slots = new ConnectionSlots(options.wsMaxConnections);
  }

  /** Undefined when the upgrade may go on; the answer to send otherwise. */
  async verify(req: IncomingMessage): Promise<HandshakeRefusal | undefined> {
    const answer = await this.check(req).catch((error: unknown) => {
      // Auth and cursor checks throw the same errors as on HTTP routes.
      if (error instanceof FerroError) {
        return refusalOf(error);
      }
      throw error;
    });
    if (answer) {
      this.metrics.refused(answer.status);
      const cause = answer.cause ? `: ${answer.cause}` : '';
      this.logger.warn(
        `refused WebSocket upgrade from ${req.socket.remoteAddress} with ${answer.status}${cause}`,
      );
    }
    return answer;
  }

  private async check(req: IncomingMessage): Promise<HandshakeRefusal | undefined> {
    if (!this.originAllowed(req)) {
      return refusal(HttpStatus.FORBIDDEN, ErrorCode.Forbidden, 'Origin not allowed');
    }

    const principal = await this.principalOf(req);
    if (!this.ambientCredentialsAllowed(principal, req)) {
      return refusal(
        HttpStatus.FORBIDDEN,
        ErrorCode.Forbidden,
        'A browser-authenticated WebSocket needs this server or an allowed Origin',
      );
    }
    setPrincipal(req, principal);

    // After authentication, so the state of the log is told to nobody else.
    this.checkResumeCursor(req);

    if (!this.slots.tryTake(req.socket)) {
      return refusal(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.TooManyConnections,
        'Connection limit reached',
      );
    }
    return undefined;
  }

  /**
   * A client resuming with `since` is refused here, as the delta would
   * refuse it (400 for no clock, 410 when ops after it are gone or it
   * belongs to another log), rather than upgraded and silently given a
   * partial history. An `epoch` alone is checked too: a client whose
   * state came from another log must not take live events as a sequel.
   */
  private checkResumeCursor(req: IncomingMessage): void {
    const cursor = parseResumeCursor(req.url);
    this.sync.validateCursor(cursor.since ?? this.sync.currentClock, cursor.epoch);
    setResumeCursor(req, cursor);
  }

  /**
   * A `ticket` in the query is the whole credential of the upgrade: a bad
   * one is refused even if headers would have passed, so a client never
   * learns which of the two was accepted.
   */
  private async principalOf(req: IncomingMessage): Promise<Principal> {
    const ticket = ticketOf(req.url);
    if (ticket === undefined) {
      return this.auth.authenticate(req);
    }

    const principal = this.tickets.redeem(ticket);
    if (!principal) {
      throw this.auth.unauthorized('ticket unknown, used or expired');
    }
    return principal;
  }

  /**
   * A browser attaches credentials it holds to an upgrade that any page it
   * visits starts (cross-site WebSocket hijacking): its session cookie, and
   * Basic credentials it cached after our `WWW-Authenticate` prompt. Those
   * prove nothing about the page, so the page's Origin must be this server
   * or an allowed one. A cookie upgrade without Origin is refused too; a
   * Basic one without Origin comes from no browser (wscat, a script) and
   * passes. Bearer tokens and tickets cannot be attached by a foreign page.
   */
  private ambientCredentialsAllowed(principal: Principal, req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    switch (principal.method) {
      case 'session':
        return origin !== undefined && this.trusted(origin, req);
      case 'basic':
        return origin === undefined || this.trusted(origin, req);
      default:
        return true;
    }
  }

  /**
   * With an allow-list, a page on another origin may not open the socket
   * at all. Browsers always send `Origin` on a WebSocket upgrade; a client
   * without one (wscat, a server-side SDK) is not a cross-site risk.
   */
  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (this.allowedOrigins.size === 0 || origin === undefined) {
      return true;
    }
    return this.trusted(origin, req);
  }

  /** The server's own origin, or one on the allow-list. */
  private trusted(origin: string, req: IncomingMessage): boolean {
    if (this.allowedOrigins.has(origin)) {
      return true;
    }

    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }
}

function ticketOf(url = ''): string | undefined {
  const query = url.indexOf('?');
  if (query === -1) {
    return undefined;
  }
  return new URLSearchParams(url.slice(query + 1)).get('ticket') ?? undefined;
}
