import type { NestExpressApplication } from '@nestjs/platform-express';

import { rejectMalformedPaths } from './malformed-path.middleware.js';
import { useFerroBodyParsers } from './upload.body-parser.js';

/**
 * What the HTTP app must do for the file and share routes, before
 * `app.init()` or `app.listen()`, on an app created with
 * `{ bodyParser: false }`:
 *
 * - install the JSON and URL-encoded body parsers with file uploads left
 *   out, so an upload is stored byte for byte whatever its `Content-Type`;
 * - answer malformed percent-escapes under `/api/files` and `/s` with the
 *   module's JSON 400 before Express's route matching turns them into a
 *   Nest-shaped error.
 *
 * `globalPrefix` is the app's global prefix, if it sets one.
 */
export function setupFilesHttp(app: NestExpressApplication, globalPrefix = ''): void {
  const prefix = globalPrefix.replace(/^\/+|\/+$/g, '');
  const base = prefix === '' ? '' : `/${prefix}`;
  app.use([`${base}/api/files`, `${base}/s`], rejectMalformedPaths);
  useFerroBodyParsers(app, globalPrefix);
}
