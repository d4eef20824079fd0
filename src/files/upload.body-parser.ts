import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

import type { NestExpressApplication } from '@nestjs/platform-express';

import { pathOf } from '../common/request-target.js';

/**
 * True for a `PUT` to the file routes: its body is file content that the
 * route streams to storage byte for byte, whatever its `Content-Type` says.
 * `globalPrefix` is the app's global prefix, if it has one.
 */
export function isFileUpload(req: IncomingMessage, globalPrefix = ''): boolean {
  return uploadMatcher(globalPrefix)(req);
}

/**
 * A body-parser `type` option: parse bodies of `mediaType`, except file
 * uploads, which must reach their route as an unread stream.
 */
export function parseUnlessFileUpload(
  mediaType: string,
  globalPrefix = '',
): (req: IncomingMessage) => boolean {
  const isUpload = uploadMatcher(globalPrefix);
  return (req) => mediaTypeOf(req) === mediaType && !isUpload(req);
}

/**
 * Installs the body parsers in place of Nest's defaults: JSON, with file
 * uploads left out, and no form parsing at all. Nest's own parsers read
 * every body with a matching `Content-Type`, so a JSON document or a
 * `curl --data-binary` upload (sent as `application/x-www-form-urlencoded`)
 * would be parsed and gone before the upload route could store it.
 *
 * Forms are never parsed because a cross-site HTML form can post them
 * without a CORS preflight, with the browser's cached Basic credentials:
 * accepting them on `move` or `shares` would be a CSRF hole. The JSON
 * routes therefore take `application/json` only, which a foreign page can
 * send only after a preflight that this server never approves.
 *
 * Call it before `app.init()` or `app.listen()`, on an app created with
 * `{ bodyParser: false }`. Nest skips a default parser it finds installed,
 * which is why the form parser is registered with a type that never
 * matches instead of being left out.
 */
export function useFerroBodyParsers(app: NestExpressApplication, globalPrefix = ''): void {
  app.useBodyParser('json', { type: parseUnlessFileUpload('application/json', globalPrefix) });
  app.useBodyParser('urlencoded', { type: () => false, extended: false });
}

/**
 * The body of an upload request as an unread stream. A request whose body
 * a parser already consumed is a setup error (see `setupFilesHttp`):
 * storing what is left would silently save an empty file.
 */
export function uploadBody(req: IncomingMessage): Readable {
  if (req.readableEnded) {
    throw new Error(
      'The upload body was read by a body parser before the route; ' +
        'set the app up with setupFilesHttp()',
    );
  }

  return req;
}

function uploadMatcher(globalPrefix: string): (req: IncomingMessage) => boolean {
  const prefix = globalPrefix
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => `/${escapeRegExp(segment)}`)
    .join('');
  // Express matches routes case-insensitively by default, so this does too.
  const route = new RegExp(`^${prefix}/api/files(?:/|$)`, 'i');
  return (req) => req.method === 'PUT' && route.test(pathOf(req.url));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function mediaTypeOf(req: IncomingMessage): string {
  const header = req.headers['content-type'] ?? '';
  return header.split(';')[0].trim().toLowerCase();
}
