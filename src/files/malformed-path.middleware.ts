import type { IncomingMessage, ServerResponse } from 'node:http';

import { ErrorCode } from '../common/error-codes.js';
import { errorBody, FerroError } from '../common/ferro.error.js';

/**
 * Answers a request whose path has a malformed percent-escape (`%E0%A4%A`,
 * `%zz`) with the module's JSON 400 `invalid_path`.
 *
 * Express decodes route parameters while it matches routes, before any
 * controller or controller-scoped filter runs, and hands a failure to the
 * app-wide error handler, which answers in Nest's own shape. Mounted in front
 * of the routes with a literal path (no parameters, so Express decodes
 * nothing), this answers first and only for the paths it is mounted on.
 */
export function rejectMalformedPaths(
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
): void {
  const url = req.url ?? '';
  const end = url.search(/[?#]/);
  try {
    decodeURIComponent(end === -1 ? url : url.slice(0, end));
  } catch {
    const error = FerroError.badRequest(
      ErrorCode.InvalidPath,
      'Path has malformed percent-encoding',
    );
    res.statusCode = error.status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(errorBody(error)));
    return;
  }

  next();
}
