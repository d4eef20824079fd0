const BASE = 'http://return-to.invalid';

/** Longest `return_to` accepted; a login link has no need for more. */
const MAX_LENGTH = 2048;

/**
 * Where to send the browser after login: a path on this same site, or
 * `/` for anything else. Only a relative path that stays on our origin
 * passes, so a crafted login link can never turn the callback into an
 * open redirect (`//evil`, `/\evil`, `https://evil`, `javascript:`...).
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_LENGTH || !value.startsWith('/')) {
    return '/';
  }

  if (/\p{Cc}/u.test(value)) {
    return '/';
  }

  // The URL parser reads `/\evil` and `//evil` as hosts, as browsers do.
  const url = new URL(value, BASE);
  if (url.origin !== BASE) {
    return '/';
  }
  return `${url.pathname}${url.search}${url.hash}`;
}
