import { MAX_TIMER_MS } from './socket-session.js';

/**
 * Runs one request with a signal that aborts when `signal` does, or `ms`
 * after the start (0: never), and settles as soon as either happens, even
 * when the request does not listen to its signal: a custom `fetch` may
 * not, and a token provider is never given one. A timeout rejects with
 * `timedOut()`, an abort with the abort's reason.
 *
 * A timer of its own rather than `AbortSignal.timeout` with
 * `AbortSignal.any`: it is cleared the moment the request settles, so a
 * closed client leaves no timer behind, fake timers can drive it in
 * tests, and it works where `AbortSignal.any` is missing (before Node
 * 20.3 and Safari 17.4).
 */
export async function withDeadline<T>(
  signal: AbortSignal,
  ms: number,
  request: (signal: AbortSignal) => Promise<T>,
  timedOut: () => Error,
): Promise<T> {
  if (signal.aborted) {
    throw signal.reason;
  }

  const inner = new AbortController();
  let cut!: (reason: unknown) => void;
  const cutShort = new Promise<never>((_resolve, reject) => (cut = reject));
  const abort = (reason: unknown): void => {
    // Rejected before the request hears of the abort, so the race below
    // settles with this reason rather than with the request's own error.
    cut(reason);
    inner.abort(reason);
  };
  const onAbort = (): void => abort(signal.reason);
  signal.addEventListener('abort', onAbort);
  const timer =
    ms > 0 ? setTimeout(() => abort(timedOut()), Math.min(ms, MAX_TIMER_MS)) : undefined;
  try {
    return await Promise.race([request(inner.signal), cutShort]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
