import { HttpStatus } from '@nestjs/common';

import { ErrorCode } from './error-codes.js';

/**
 * An expected failure with the HTTP status and stable code it maps to.
 * Services throw it; the error filter turns it into the JSON body, so no
 * service needs to know about HTTP responses.
 */
export class FerroError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Extra fields merged into the JSON body, e.g. `oldest_clock`. */
    readonly details: Record<string, unknown> = {},
    /** Response headers that belong to this answer, e.g. `WWW-Authenticate`. */
    readonly headers: Record<string, string> = {},
    /**
     * The precise reason, for the log line the edge writes; never sent to
     * the client, who gets the uniform `message`.
     */
    readonly cause?: string,
  ) {
    super(message);
    this.name = 'FerroError';
  }

  static badRequest(code: ErrorCode, message: string): FerroError {
    return new FerroError(HttpStatus.BAD_REQUEST, code, message);
  }

  static notFound(code: ErrorCode, message: string): FerroError {
    return new FerroError(HttpStatus.NOT_FOUND, code, message);
  }

  static conflict(code: ErrorCode, message: string): FerroError {
    return new FerroError(HttpStatus.CONFLICT, code, message);
  }
}

/** The JSON body of every error this module answers with. */
export interface ErrorBody {
  error: string;
  error_code: ErrorCode;
  [detail: string]: unknown;
}

export function errorBody(error: FerroError): ErrorBody {
  return { error: error.message, error_code: error.code, ...error.details };
}
