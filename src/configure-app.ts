import type { Server } from 'node:http';

import type { NestExpressApplication } from '@nestjs/platform-express';

import { setupSessions } from './auth/session/session.setup.js';
import { bodyErrorAsJson } from './common/body-error.middleware.js';
import { setupFilesHttp } from './files/files-http.setup.js';
import { FerroWsAdapter } from './gateway/ferro-ws.adapter.js';

/**
 * Applies what the module needs from the HTTP application it runs in: the
 * WebSocket adapter, body parsers that leave uploads alone (a file sent
 * with `PUT /api/files/...` is stored byte for byte, JSON or not), and JSON
 * answers for paths Express cannot decode, and browser sessions on `/api`
 * when OIDC login is configured.
 *
 * Create the application with `{ bodyParser: false }` and call this before
 * `listen`. Pass the application's global prefix if it sets one.
 */
export function configureFerroApp(app: NestExpressApplication, globalPrefix = ''): void {
  allowLongUploads(app.getHttpServer() as Server);
  app.useWebSocketAdapter(new FerroWsAdapter(app));
  setupFilesHttp(app, globalPrefix);
  setupSessions(app, globalPrefix);
  const base = globalPrefix.replace(/^\/*/, '/').replace(/\/+$/, '');
  app.use(`${base}/api`, bodyErrorAsJson);
}

/**
 * Node cuts any request still arriving after `requestTimeout` (5 minutes),
 * which fails every upload of a large file over a slow link. Uploads may
 * take as long as they need; slow-loris clients are still cut by
 * `headersTimeout`, which bounds how long the headers may take.
 */
function allowLongUploads(server: Server): void {
  server.requestTimeout = 0;
}
