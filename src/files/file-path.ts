import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';

/** The storage root, the only path that ends with a slash. */
export const ROOT = '/';

/** Longest path accepted, in UTF-8 bytes: Linux's `PATH_MAX`. */
export const MAX_PATH_BYTES = 4096;

/** Longest name of one file or folder, in UTF-8 bytes: `NAME_MAX` of common filesystems. */
export const MAX_NAME_BYTES = 255;

const DEL = 0x7f;
const LAST_C1 = 0x9f;
const BACKSLASH = 0x5c;

// A surrogate half without its partner cannot be written as a file name in
// UTF-8; JSON bodies can carry one even though URLs cannot.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Turns a path as a client wrote it into the one form every layer below
 * uses: absolute, `/`-separated, no empty or `.` segments, no trailing slash
 * (except the root `/`).
 *
 * `raw` must already be percent-decoded, exactly once (see `decodePath`); a
 * `%` left in it is part of a name and is never decoded again, so `%252e%252e`
 * names a file called `%2e%2e` instead of climbing out of the root.
 *
 * Anything that could leave the root or confuse a filesystem is refused with
 * a 400 `invalid_path` rather than cleaned up: a `..` segment, NUL or another
 * control character, a backslash, a lone surrogate, or a path or name longer
 * than Linux accepts.
 */
export function normalizePath(raw: string): string {
  if (Buffer.byteLength(raw, 'utf8') > MAX_PATH_BYTES) {
    throw invalidPath(`Path is longer than ${MAX_PATH_BYTES} bytes`);
  }

  if (hasForbiddenCharacter(raw) || LONE_SURROGATE.test(raw)) {
    throw invalidPath('Path contains a control character, a backslash or invalid text');
  }

  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  for (const segment of segments) {
    assertValidSegment(segment);
  }
  return ROOT + segments.join('/');
}

/**
 * Percent-decodes a raw URL path once, refusing malformed escapes.
 *
 * The whole path is decoded before it is split, so `%2F` acts as a separator:
 * no filesystem allows `/` inside a name, and a client that encoded the full
 * path with `encodeURIComponent` still reaches the file it meant.
 */
export function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalidPath('Path has malformed percent-encoding');
  }
}

/**
 * The last `segmentCount` raw segments of a request URL's path, still
 * percent-encoded, without the query string.
 *
 * The router has already matched and decoded them, but segment by segment
 * and into an array, which loses the difference between `/` and `%2F`; the
 * raw URL is the only place that still has the path as the client sent it.
 * `new URL()` is deliberately not used: it resolves `..` and `%2e%2e`
 * before anything could refuse them.
 */
export function rawPathFromUrl(url: string, segmentCount: number): string {
  if (segmentCount <= 0) {
    return '';
  }

  const end = url.search(/[?#]/);
  const pathname = end === -1 ? url : url.slice(0, end);
  return pathname.split('/').slice(-segmentCount).join('/');
}

/** True when `path` is `folder` itself or lies anywhere under it. */
export function isSameOrInside(path: string, folder: string): boolean {
  if (folder === ROOT || path === folder) {
    return true;
  }

  return path.startsWith(`${folder}/`);
}

/** The folder that holds `path`; the root for a top-level entry and for the root. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? ROOT : path.slice(0, slash);
}

/** The last segment of `path`; empty for the root. */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `name` inside the folder `folder`, both already normalized. */
export function childOf(folder: string, name: string): string {
  return folder === ROOT ? `${ROOT}${name}` : `${folder}/${name}`;
}

/**
 * C0 controls (NUL included), DEL, C1 controls (U+0080 to U+009F, which
 * some terminals act on), and the backslash that Windows tools and some
 * proxies treat as a separator: none may appear anywhere in a path.
 */
function hasForbiddenCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || (code >= DEL && code <= LAST_C1) || code === BACKSLASH) {
      return true;
    }
  }
  return false;
}

function assertValidSegment(segment: string): void {
  if (segment === '..') {
    throw invalidPath('Path must not contain ".." segments');
  }

  if (Buffer.byteLength(segment, 'utf8') > MAX_NAME_BYTES) {
    throw invalidPath(`A name in the path is longer than ${MAX_NAME_BYTES} bytes`);
  }
}

function invalidPath(message: string): FerroError {
  return FerroError.badRequest(ErrorCode.InvalidPath, message);
}
