import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';
import {
  childOf,
  decodePath,
  isSameOrInside,
  nameOf,
  normalizePath,
  parentOf,
  rawPathFromUrl,
} from './file-path.js';

/** What the controller does with the raw URL suffix: decode once, then normalize. */
function fromUrl(raw: string): string {
  return normalizePath(decodePath(raw));
}

function errorOf(action: () => unknown): FerroError | undefined {
  try {
    action();
  } catch (error) {
    return error as FerroError;
  }
  return undefined;
}

describe('normalizePath', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['//', '/'],
    ['a', '/a'],
    ['/a/b.txt', '/a/b.txt'],
    ['a/b/', '/a/b'],
    ['//a///b//', '/a/b'],
    ['/./a/./b/.', '/a/b'],
    ['/a/.../b', '/a/.../b'],
    ['/a/..b/c..', '/a/..b/c..'],
    ['/%2e%2e/x', '/%2e%2e/x'],
    ['/dir with space/ünïcödé 📄.txt', '/dir with space/ünïcödé 📄.txt'],
    [`/${'n'.repeat(255)}`, `/${'n'.repeat(255)}`],
  ])('turns %j into %j', (raw, expected) => {
    const sut = normalizePath;

    const result = sut(raw);

    expect(result).toBe(expected);
  });

  it.each([
    ['a parent segment', '..'],
    ['a leading parent segment', '/../etc/passwd'],
    ['a parent segment in the middle', '/a/../b'],
    ['a trailing parent segment', '/a/b/..'],
    ['a parent segment after dots', '/./../x'],
    ['NUL', '/a\u0000b'],
    ['a trailing NUL', '/a.txt\u0000.png'],
    ['a line feed', '/a\nb'],
    ['a carriage return', '/a\r'],
    ['a tab', '/a\tb'],
    ['the unit separator', '/a\u001f'],
    ['DEL', '/a\u007f'],
    ['a C1 control', '/cd/\u0085ctl'],
    ['the last C1 control', '/a\u009f'],
    ['a backslash', '/a\\b'],
    ['backslash parent segments', '\\..\\..\\windows'],
    ['a backslash inside a parent segment', '/..\\x'],
    ['a lone high surrogate', '/a\ud800b'],
    ['a lone low surrogate', '/\udc00'],
    ['a name over 255 bytes', `/${'n'.repeat(256)}`],
    ['a name over 255 bytes in UTF-8 only', `/${'é'.repeat(128)}`],
    ['a path over 4096 bytes', `/${'abc/'.repeat(1025)}`],
  ])('refuses %s with 400 invalid_path', (_case, raw) => {
    const sut = normalizePath;

    const error = errorOf(() => sut(raw));

    expect(error).toBeInstanceOf(FerroError);
    expect(error).toMatchObject({ status: 400, code: ErrorCode.InvalidPath });
  });
});

describe('decodePath then normalizePath (the raw URL suffix)', () => {
  it.each([
    ['docs/report.pdf', '/docs/report.pdf'],
    ['a%20b', '/a b'],
    ['a%2Fb', '/a/b'],
    ['%2Fdocs%2Freport.pdf', '/docs/report.pdf'],
    ['100%25.txt', '/100%.txt'],
    ['%252e%252e/x', '/%2e%2e/x'],
    ['%E2%9C%93', '/✓'],
    ['.%2e.', '/...'],
  ])('turns %j into %j', (raw, expected) => {
    const sut = fromUrl;

    const result = sut(raw);

    expect(result).toBe(expected);
  });

  it.each([
    ['plain ..', '../etc/passwd'],
    ['%2e%2e', '%2e%2e/etc/passwd'],
    ['%2E%2E upper case', '%2E%2E/etc'],
    ['half-encoded .%2e', 'a/.%2e/b'],
    ['half-encoded %2e.', 'a/%2e./b'],
    ['..%2f', '..%2f..%2fetc%2fpasswd'],
    ['..%2F upper case', 'a/..%2Fb'],
    ['%2f..%2f inside a segment', 'a%2f..%2fb'],
    ['%00', 'a%00.txt'],
    ['%00 after a name', 'secret.txt%00.png'],
    ['%0a', 'a%0ab'],
    ['%0d%0a', 'a%0d%0aSet-Cookie:x'],
    ['%7f', 'a%7f'],
    ['%C2%85', 'cd/%C2%85ctl%C2%9B'],
    ['%5c (backslash)', '..%5c..%5cwindows'],
    ['a raw backslash sequence', '\\..\\'],
    ['a truncated escape', 'a%2'],
    ['a bare percent', '50%off'],
    ['a non-hex escape', '%zz'],
    ['an invalid UTF-8 sequence', '%C3%28'],
    ['an overlong UTF-8 dot', '%C0%AE%C0%AE/x'],
    ['an encoded surrogate', '%ED%A0%80'],
  ])('refuses %s with 400 invalid_path', (_case, raw) => {
    const sut = fromUrl;

    const error = errorOf(() => sut(raw));

    expect(error).toMatchObject({ status: 400, code: ErrorCode.InvalidPath });
  });
});

describe('rawPathFromUrl', () => {
  it.each([
    ['/api/files/a/b', 2, 'a/b'],
    ['/api/files/a%2Fb/', 2, 'a%2Fb/'],
    ['/api/files/%2e%2e/x?download=1', 2, '%2e%2e/x'],
    ['/prefix/api/files/x#frag', 1, 'x'],
    ['http://host/api/files/a', 1, 'a'],
    ['/api/files', 0, ''],
  ])('takes the path of %j (%i segments) as %j', (url, segments, expected) => {
    const sut = rawPathFromUrl;

    const result = sut(url, segments);

    expect(result).toBe(expected);
  });
});

describe('path helpers', () => {
  it.each([
    ['/a', '/a', true],
    ['/a/b', '/a', true],
    ['/a/b/c', '/a', true],
    ['/ab', '/a', false],
    ['/a', '/a/b', false],
    ['/anything', '/', true],
  ])('isSameOrInside(%j, %j) is %j', (path, folder, expected) => {
    const sut = isSameOrInside;

    const result = sut(path, folder);

    expect(result).toBe(expected);
  });

  it('splits and joins paths', () => {
    const path = '/a/b/c.txt';

    const parts = [parentOf(path), nameOf(path), parentOf('/top'), childOf('/', 'x')];

    expect(parts).toEqual(['/a/b', 'c.txt', '/', '/x']);
  });
});
