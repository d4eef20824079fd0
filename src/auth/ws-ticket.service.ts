import { randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';

import type { Principal } from './principal.js';

/** How long a ticket may wait before its one use. */
export const TICKET_TTL_MS = 30_000;

/** Tickets held at once; past this the oldest unused ones are dropped. */
const MAX_TICKETS = 10_000;

interface Ticket {
  principal: Principal;
  expiresAt: number;
}

/**
 * Short-lived, single-use tickets for WebSocket clients that can send
 * neither headers nor cookies (a browser `WebSocket` on another origin).
 * An authenticated client asks for one over HTTP and opens
 * `/api/ws?ticket=...` with it; the ticket is gone once tried, so a
 * ticket that leaks through a log or a proxy is worth nothing.
 */
@Injectable()
export class WsTicketService {
  // A Map iterates in insertion order, which is expiry order here.
  private readonly tickets = new Map<string, Ticket>();

  issue(principal: Principal): { ticket: string; expires_in: number } {
    this.sweep();
    const ticket = randomBytes(32).toString('base64url');
    this.tickets.set(ticket, { principal, expiresAt: Date.now() + TICKET_TTL_MS });
    return { ticket, expires_in: TICKET_TTL_MS / 1000 };
  }

  /** The ticket's principal if it is known and fresh; it is spent either way. */
  redeem(ticket: string): Principal | undefined {
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!entry || entry.expiresAt <= Date.now()) {
      return undefined;
    }

    return { ...entry.principal, method: 'ticket' };
  }

  private sweep(): void {
    const now = Date.now();
    for (const [ticket, entry] of this.tickets) {
      if (entry.expiresAt > now && this.tickets.size < MAX_TICKETS) {
        return;
      }
      this.tickets.delete(ticket);
    }
  }
}
