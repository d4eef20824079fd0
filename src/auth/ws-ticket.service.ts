import { randomBytes } from 'node:crypto';

import { HttpStatus, Injectable } from '@nestjs/common';

import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';
import type { Principal } from './principal.js';

/** How long a ticket may wait before its one use. */
export const TICKET_TTL_MS = 30_000;

/** Unused tickets one principal may hold at once. */
export const MAX_TICKETS_PER_PRINCIPAL = 100;

/** Unused tickets held at once, for everyone together. */
export const MAX_TICKETS = 10_000;

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
 *
 * Memory is bounded without ever dropping a fresh ticket: past the limits
 * new tickets are refused (429), so one client asking for thousands can
 * slow only itself, never cancel tickets other users are about to use.
 */
@Injectable()
export class WsTicketService {
  // A Map iterates in insertion order, which is expiry order here.
  private readonly tickets = new Map<string, Ticket>();
  private readonly heldBy = new Map<string, number>();

  issue(principal: Principal): { ticket: string; expires_in: number } {
    this.sweep();
    const held = this.heldBy.get(principal.name) ?? 0;
    if (held >= MAX_TICKETS_PER_PRINCIPAL || this.tickets.size >= MAX_TICKETS) {
      throw new FerroError(
        HttpStatus.TOO_MANY_REQUESTS,
        ErrorCode.TooManyTickets,
        'Too many unused tickets; use or let some expire first',
        {},
        { 'Retry-After': String(TICKET_TTL_MS / 1000) },
      );
    }

    const ticket = randomBytes(32).toString('base64url');
    this.tickets.set(ticket, { principal, expiresAt: Date.now() + TICKET_TTL_MS });
    this.heldBy.set(principal.name, held + 1);
    return { ticket, expires_in: TICKET_TTL_MS / 1000 };
  }

  /** The ticket's principal if it is known and fresh; it is spent either way. */
  redeem(ticket: string): Principal | undefined {
    const entry = this.tickets.get(ticket);
    if (!entry) {
      return undefined;
    }

    this.forget(ticket, entry);
    return entry.expiresAt > Date.now() ? { ...entry.principal, method: 'ticket' } : undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [ticket, entry] of this.tickets) {
      if (entry.expiresAt > now) {
        return;
      }
      this.forget(ticket, entry);
    }
  }

  private forget(ticket: string, entry: Ticket): void {
    this.tickets.delete(ticket);
    const held = (this.heldBy.get(entry.principal.name) ?? 1) - 1;
    if (held > 0) {
      this.heldBy.set(entry.principal.name, held);
    } else {
      this.heldBy.delete(entry.principal.name);
    }
  }
}
