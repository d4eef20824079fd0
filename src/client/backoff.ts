export interface BackoffOptions {
  /** Ceiling of the first delay, in milliseconds. */
  baseMs: number;
  /** Largest ceiling any delay may reach, in milliseconds. */
  capMs: number;
  /** A number in [0, 1); `Math.random` outside tests. */
  random: () => number;
}

/**
 * Exponential backoff with full jitter: the n-th delay in a row is drawn
 * uniformly from [0, min(cap, base * 2^n)), so clients dropped together by
 * a restart spread their reconnects instead of arriving in waves. See
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export class Backoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call widens the next one. */
  next(): number {
    const { baseMs, capMs, random } = this.options;
    // 2 ** n turns Infinity past n = 1023, which `min` handles; the count
    // itself stays a safe integer for far longer than any outage.
    const ceiling = Math.min(capMs, baseMs * 2 ** this.failures);
    this.failures += 1;
    return random() * ceiling;
  }

  /** Starts over from the base, once a connection has proven stable. */
  reset(): void {
    this.failures = 0;
  }
}
