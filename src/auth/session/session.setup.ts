import type { NestExpressApplication } from '@nestjs/platform-express';

import { BrowserSessionService } from './browser-session.service.js';

/**
 * Installs browser sessions on the module's `/api` routes when OIDC login
 * is configured: express-session, then passport reading the logged-in
 * user from it. Nothing is installed on `/s` (share downloads) or on a
 * host's own routes, and nothing at all without OIDC. Call it before
 * `app.init()` or `app.listen()`, so it runs ahead of the routes.
 */
export function setupSessions(app: NestExpressApplication, globalPrefix = ''): void {
  const sessions = app.get(BrowserSessionService);
  if (!sessions.enabled) {
    return;
  }

  const prefix = globalPrefix.replace(/^\/+|\/+$/g, '');
  const api = prefix === '' ? '/api' : `/${prefix}/api`;
  app.use(api, sessions.middleware(api));
  app.use(api, sessions.passport.initialize());
  app.use(api, sessions.passport.session());
}
