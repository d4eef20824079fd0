import { Get, UseGuards } from '@nestjs/common';

import { FerroAuthGuard } from '../auth/auth.guard.js';
import { ErrorCode } from '../common/error-codes.js';
import { FerroController } from '../common/ferro-controller.decorator.js';
import { FerroError } from '../common/ferro.error.js';

/** RFC 9110 §15.5.22; Nest's `HttpStatus` has no member for it. */
const UPGRADE_REQUIRED = 426;

/**
 * A plain GET on the WebSocket path, without upgrade headers, is told to
 * upgrade instead of falling through to a generic 404.
 */
@FerroController('api/ws')
@UseGuards(FerroAuthGuard)
export class WsUpgradeController {
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
