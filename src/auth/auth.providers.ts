import type { Provider } from '@nestjs/common';

import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { FerroAuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { FerroStrategy } from './ferro.strategy.js';
import { BearerTokenVerifier } from './oidc/bearer-token.verifier.js';
import { BrowserSessionService } from './session/browser-session.service.js';
import { WsTicketService } from './ws-ticket.service.js';

/** Present only when OIDC is configured; `AuthService` takes it as optional. */
const bearerProvider: Provider = {
  provide: BearerTokenVerifier,
  inject: [FERRO_OPTIONS],
  useFactory: (options: FerroRealtimeOptions): BearerTokenVerifier | null =>
    options.oidc ? new BearerTokenVerifier(options.oidc) : null,
};

/**
 * Everything the guard and the upgrade check need, given `FERRO_OPTIONS`.
 * `FerroStrategy` must be among them: instantiating it is what registers
 * the passport strategy the guard names.
 */
export const AUTH_PROVIDERS: Provider[] = [
  bearerProvider,
  BrowserSessionService,
  AuthService,
  FerroStrategy,
  FerroAuthGuard,
  WsTicketService,
];
