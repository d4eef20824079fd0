import { Get, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';

import { FerroAuthGuard } from '../auth/auth.guard.js';
import { CurrentPrincipal } from '../auth/principal.js';
import type { Principal } from '../auth/principal.js';
import { WsTicketService } from '../auth/ws-ticket.service.js';
import { ErrorCode } from '../common/error-codes.js';
import { FerroController } from '../common/ferro-controller.decorator.js';
import { FerroError } from '../common/ferro.error.js';

/** RFC 9110 §15.5.22; Nest's `HttpStatus` has no member for it. */
const UPGRADE_REQUIRED = 426;

/**
 * The HTTP side of `/api/ws`: tickets for the upgrade, and a plain GET
 * (without upgrade headers) told to upgrade instead of a generic 404.
 */
@FerroController('api/ws')
@UseGuards(FerroAuthGuard)
export class WsUpgradeController {
  constructor(private readonly tickets: WsTicketService) {}

  /**
   * A single-use ticket, valid for 30 seconds, for a client that can send
   * neither headers nor cookies on its upgrade: `/api/ws?ticket=...`.
   */
  @Post('ticket')
  @HttpCode(HttpStatus.CREATED)
  ticket(@CurrentPrincipal() principal: Principal): { ticket: string; expires_in: number } {
    return this.tickets.issue(principal);
  }

  @Get()
  upgradeRequired(): never {
    throw new FerroError(
      UPGRADE_REQUIRED,
      ErrorCode.UpgradeRequired,
      'This endpoint speaks WebSocket; send an upgrade request',
      {},
      { Upgrade: 'websocket', Connection: 'Upgrade' },
    );
  }
}
