// What may stand in a quoted `filename="..."` for every browser: printable
// ASCII without the quote, the backslash and `%` (which some browsers decode).
const UNSAFE_IN_FALLBACK = /[^\x20-\x7e]|["\\%]/g;

// encodeURIComponent leaves these alone, but RFC 5987 `attr-char` excludes them.
const UNSAFE_IN_EXTENDED = /['()*]/g;

/**
 * A `Content-Disposition: attachment` value naming `fileName`, with an
 * ASCII fallback for old clients and the exact name as RFC 5987/6266
 * `filename*`. Both parts are plain ASCII, so no name (even one with a line
 * break, which a file placed on disk by hand may have) can break the header.
 */
export function attachmentDisposition(fileName: string): string {
  const fallback = fileName.replace(UNSAFE_IN_FALLBACK, '_') || 'download';
  const extended = encodeURIComponent(fileName).replace(UNSAFE_IN_EXTENDED, percentEncode);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${extended}`;
}

function percentEncode(character: string): string {
  return `%${character.charCodeAt(0).toString(16).toUpperCase()}`;
}
