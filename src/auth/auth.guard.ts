import { Injectable, Logger } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

import { AuthService } from './auth.service.js';
import { setPrincipal } from './principal.js';

/**
 * Guards this module's HTTP routes. It is applied per controller rather
 * than globally so that importing the module never guards a host's routes.
 */
@Injectable()
export class FerroAuthGuard implements CanActivate {
  private readonly logger = new Logger(FerroAuthGuard.name);

  constructor(private readonly auth: AuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<IncomingMessage>();
    try {
      setPrincipal(req, await this.auth.authenticate(req));
      return true;
    } catch (error) {
      // The path only: a query may carry a secret (a share password).
      const path = (req.url ?? '').split('?')[0];
      this.logger.warn(`refused ${req.method} ${path} from ${req.socket.remoteAddress}`);
      throw error;
    }
  }
}
