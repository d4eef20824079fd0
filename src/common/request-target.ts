/** An absolute-form request target (`GET http://host/path`) routes by its path. */
const SCHEME_AND_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * The path part of a request target, as sent: scheme and authority of an
 * absolute-form target and the query removed, nothing decoded and no case
 * folded, so `/API/WS` or `/api/ws/` never pass for `/api/ws`.
 */
export function pathOf(url = ''): string {
  const target = url.replace(SCHEME_AND_AUTHORITY, '');
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}
