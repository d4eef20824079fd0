import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';

/** Ops a delta answers with when the client names no `limit`. */
export const DEFAULT_DELTA_LIMIT = 1000;

/** Most ops one delta may carry, so one request cannot pin the event loop. */
export const MAX_DELTA_LIMIT = 10_000;

/**
 * Plain decimal digits only: `Number()` alone would also take `1e3`, ` 1`,
 * `0x10` and the empty string, and a cursor is an exact clock, never a
 * number that merely converts to one.
 */
const DIGITS = /^\d+$/;

/**
 * A clock cursor from a query parameter or the `Last-Event-ID` header, or
 * undefined when absent: what "no cursor" means differs between the delta
 * and the stream. `name` is the source the message names.
 */
export function parseCursor(raw: unknown, name = 'since'): number | undefined {
  if (raw === undefined) {
    return undefined;
  }

  const value = toWholeNumber(raw);
  if (value === undefined) {
    throw FerroError.badRequest(
      ErrorCode.InvalidCursor,
      `${name} must be a clock: a non-negative integer`,
    );
  }

  return value;
}

/** Log epochs are UUIDs; anything else cannot match one and is refused early. */
const EPOCH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The optional `epoch` query parameter: the log a client's cursor came from. */
export function parseEpoch(raw: unknown): string | undefined {
  if (raw === undefined) {
    return undefined;
  }
  if (typeof raw !== 'string' || !EPOCH.test(raw)) {
    throw FerroError.badRequest(
      ErrorCode.InvalidCursor,
      'epoch must be the epoch a delta returned',
    );
  }

  return raw.toLowerCase();
}

/** The `limit` query parameter; absent means {@link DEFAULT_DELTA_LIMIT}. */
export function parseLimit(raw: unknown): number {
  if (raw === undefined) {
    return DEFAULT_DELTA_LIMIT;
  }

  const value = toWholeNumber(raw);
  if (value === undefined || value < 1 || value > MAX_DELTA_LIMIT) {
    throw FerroError.badRequest(
      ErrorCode.InvalidLimit,
      `limit must be an integer from 1 to ${MAX_DELTA_LIMIT}`,
    );
  }

  return value;
}

/** A repeated parameter arrives as an array and is refused like any other bad value. */
function toWholeNumber(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || !DIGITS.test(raw)) {
    return undefined;
  }

  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}
