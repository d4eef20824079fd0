import type { IncomingMessage } from 'node:http';

import type { NestExpressApplication } from '@nestjs/platform-express';

import { FerroWsAdapter } from './gateway/ferro-ws.adapter.js';

/** Largest JSON body the module's routes accept (moves, shares). */
const JSON_BODY_LIMIT = '64kb';

/**
 * Applies what the module needs from the HTTP application it runs in:
 * the WebSocket adapter, and a JSON parser that leaves uploads alone.
 *
 * A file uploaded with `PUT /api/files/...` is stored byte for byte, so its
 * body must reach the route as a stream even when it is JSON. Create the
 * application with `{ bodyParser: false }` and call this before `listen`.
 */
export function configureFerroApp(app: NestExpressApplication): void {
  app.useWebSocketAdapter(new FerroWsAdapter(app));
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT, type: isJsonOutsideUploads });
}

function isJsonOutsideUploads(req: IncomingMessage): boolean {
  if (req.method === 'PUT') {
    return false;
  }

  const type = req.headers['content-type'] ?? '';
  return /^application\/([\w.+-]+\+)?json\b/i.test(type);
}
