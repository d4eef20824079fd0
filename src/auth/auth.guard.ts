import { Injectable, Logger } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { IncomingMessage } from 'node:http';

import { FerroError } from '../common/ferro.error.js';
import { pathOf } from '../common/request-target.js';
import { AuthService } from './auth.service.js';
import { FERRO_STRATEGY } from './ferro.strategy.js';
import { setPrincipal } from './principal.js';
import type { Principal } from './principal.js';

/**
 * Guards this module's HTTP routes through the `ferro` passport strategy.
 * It is applied per controller rather than globally so that importing the
 * module never guards a host's routes.
 */
@Injectable()
export class FerroAuthGuard extends AuthGuard(FERRO_STRATEGY) {
  private readonly logger = new Logger(FerroAuthGuard.name);

  constructor(private readonly auth: AuthService) {
    super();
  }

  override getAuthenticateOptions(): { session: boolean } {
    // Credentials are checked on every request; a browser session, when
    // there is one, is read by the strategy itself.
    return { session: false };
  }

  override handleRequest<TUser = Principal>(
    error: unknown,
    principal: Principal | false,
    _info: unknown,
    context: ExecutionContext,
  ): TUser {
    const req = context.switchToHttp().getRequest<IncomingMessage>();
    if (error || !principal) {
      // The path only: a query may carry a secret (a share password).
      const path = pathOf(req.url);
      const cause = error instanceof FerroError && error.cause ? `: ${error.cause}` : '';
      this.logger.warn(`refused ${req.method} ${path} from ${req.socket.remoteAddress}${cause}`);
      throw error ?? this.auth.unauthorized();
    }

    setPrincipal(req, principal);
    return principal as TUser;
  }
}
