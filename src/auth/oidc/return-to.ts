/** A fixed origin to resolve candidates against; `.invalid` never resolves. */
const BASE = 'http://return-to.invalid';

/** Longest `return_to` accepted; a login link has no need for more. */
const MAX_LENGTH = 2048;

/**
 * Where to send the browser after login: a path on this same site, or
 * `/` for anything else. The answer is safe as a `Location` on its own,
 * whatever the caller did before, so a crafted login link can never turn
 * the callback into an open redirect.
 *
 * The candidate is resolved with the WHATWG URL parser, as a browser
 * would, and the resolved path is returned rather than the input: dot
 * segments (`/..//evil`, `/%2e%2e//evil`) collapse there, and a path that
 * then starts with `//` would be read by the browser as a host.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) {
    return '/';
  }

  // One leading slash only; `\` is a slash to browsers, and control
  // characters (tab, CR, LF) are silently dropped by the URL parser.
  if (!/^\/(?!\/)/.test(value) || /[\\\p{Cc}]/u.test(value)) {
    return '/';
  }

  const url = new URL(value, BASE);
  const path = `${url.pathname}${url.search}${url.hash}`;
  return isOwnPath(path) ? path : '/';
}

/** True when `path` names this origin however a browser resolves it. */
function isOwnPath(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) {
    return false;
  }
  return new URL(path, BASE).origin === BASE;
}
