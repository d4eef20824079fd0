import type { IncomingMessage } from 'node:http';

import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';

import { AuthService } from './auth.service.js';
import type { Principal } from './principal.js';

/** Name of the passport strategy that guards every `/api` route. */
export const FERRO_STRATEGY = 'ferro';

/**
 * The passport strategy behind the HTTP guard. It holds no logic of its
 * own: it asks `AuthService`, the same code the WebSocket upgrade calls, so
 * HTTP, SSE and the upgrade can never disagree about a request.
 */
@Injectable()
export class FerroStrategy extends PassportStrategy(Strategy, FERRO_STRATEGY) {
  constructor(private readonly auth: AuthService) {
    super();
  }

  validate(req: IncomingMessage): Promise<Principal> {
    return this.auth.authenticate(req);
  }
}
