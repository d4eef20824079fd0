/**
 * - `network`: the server could not be reached, or a socket failed;
 * - `auth`: the server answered 401 or 403, or the token provider threw;
 * - `http`: any other unexpected HTTP status;
 * - `protocol`: the server answered something this client cannot read.
 */
export type FerroClientErrorKind = 'network' | 'auth' | 'http' | 'protocol';

export interface FerroClientErrorDetails {
  /** The HTTP status, when the server answered. */
  status?: number;
  /** The server's `error_code`, when its answer had one. */
  errorCode?: string;
  /** The underlying failure, e.g. the `TypeError` of a failed `fetch`. */
  cause?: unknown;
}

/**
 * What the client reports through its `error` event. The client never
 * throws these at the caller: it keeps retrying with backoff until
 * `close()`, and the event tells the app why it is not connected.
 */
export class FerroClientError extends Error {
  override readonly name = 'FerroClientError';
  readonly status?: number;
  readonly errorCode?: string;

  constructor(
    message: string,
    readonly kind: FerroClientErrorKind,
    { status, errorCode, cause }: FerroClientErrorDetails = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.status = status;
    this.errorCode = errorCode;
  }
}
