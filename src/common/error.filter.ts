import { Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

import { ErrorCode } from './error-codes.js';
import { errorBody, FerroError } from './ferro.error.js';
import type { ErrorBody } from './ferro.error.js';

/** RFC 4918 §11.5; Nest's `HttpStatus` has no member for it. */
const INSUFFICIENT_STORAGE = 507;

/** Error codes of the file system and of SQLite that mean the disk is full. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

const codeForStatus: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.InvalidBody,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.Unauthorized,
  [HttpStatus.FORBIDDEN]: ErrorCode.Forbidden,
  [HttpStatus.NOT_FOUND]: ErrorCode.NotFound,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PayloadTooLarge,
  [HttpStatus.SERVICE_UNAVAILABLE]: ErrorCode.StorageUnavailable,
};

/**
 * The one place where a thrown error becomes an HTTP answer: always JSON
 * `{"error", "error_code"}`, never a stack trace. Unexpected errors are
 * logged here once, with their stack, and answered with a uniform 500.
 */
@Catch()
export class FerroErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(FerroErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.destroyed || !res.socket || res.socket.destroyed) {
      // The client went away (an aborted upload, a closed tab): nobody is
      // left to answer, and its leaving is not a server error worth a stack.
      this.logger.debug(`request ended by the client: ${messageOf(exception)}`);
      return;
    }

    const [status, body] = this.toAnswer(exception);

    if (res.headersSent) {
      res.destroy();
      return;
    }

    if (exception instanceof FerroError) {
      res.set(exception.headers);
    }
    res.status(status).json(body);
  }

  private toAnswer(exception: unknown): [number, ErrorBody] {
    if (exception instanceof FerroError) {
      return [exception.status, errorBody(exception)];
    }

    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = codeForStatus[status] ?? ErrorCode.Internal;
      return [status, { error: httpMessage(exception), error_code: code }];
    }

    if (isDiskFull(exception)) {
      // Not a bug, and the same for every request until space is freed: one
      // line each, without a stack.
      this.logger.warn(`disk full: ${messageOf(exception)}`);
      return [
        INSUFFICIENT_STORAGE,
        { error: 'The storage is full', error_code: ErrorCode.StorageFull },
      ];
    }

    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return [
      HttpStatus.INTERNAL_SERVER_ERROR,
      { error: 'Internal server error', error_code: ErrorCode.Internal },
    ];
  }
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') {
    return response;
  }

  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) {
    return message.join('; ');
  }
  return typeof message === 'string' ? message : exception.message;
}

function isDiskFull(exception: unknown): boolean {
  const code = (exception as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && DISK_FULL.has(code);
}

function messageOf(exception: unknown): string {
  return exception instanceof Error ? exception.message : String(exception);
}
