import type { NextFunction, Request, Response } from 'express';

import { ErrorCode } from './error-codes.js';

/** What body-parser attaches to the errors it raises. */
interface BodyParserError extends Error {
  status?: number;
  type?: string;
}

const codeByType: Record<string, ErrorCode> = {
  'entity.too.large': ErrorCode.PayloadTooLarge,
};

/**
 * Express error middleware for the module's routes: a body the JSON parser
 * rejects (malformed, too large, bad charset) fails before any Nest route
 * or filter runs, so it is answered here in the module's JSON shape.
 * Anything that is not a body-parser error goes on to the next handler.
 */
export function bodyErrorAsJson(
  error: BodyParserError,
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  const isBodyError = typeof error.type === 'string' && typeof error.status === 'number';
  if (!isBodyError || res.headersSent) {
    next(error);
    return;
  }

  const status = error.status!;
  const code = codeByType[error.type!] ?? ErrorCode.InvalidBody;
  res.status(status).json({ error: bodyMessage(status), error_code: code });
}

function bodyMessage(status: number): string {
  switch (status) {
    case 413:
      return 'Request body is too large';
    case 415:
      return 'Request body has an unsupported charset or content encoding';
    default:
      return 'Request body is not valid JSON';
  }
}
