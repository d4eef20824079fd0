import { safeReturnTo } from './return-to.js';

describe('safeReturnTo', () => {
  it.each([
    ['/', '/'],
    ['/files/a', '/files/a'],
    ['/files/a?x=1#top', '/files/a?x=1#top'],
    ['/files/./a', '/files/a'],
    ['/files/b/../a', '/files/a'],
    ['/a/../../b', '/b'],
    ['/files/a%2Fb', '/files/a%2Fb'],
    ['/files?next=//evil.example', '/files?next=//evil.example'],
    ['/files#//evil.example', '/files#//evil.example'],
    ['/caf\u00e9', '/caf%C3%A9'],
  ])('keeps the same-site path %j as %j', (value, expected) => {
    const result = safeReturnTo(value);

    expect(result).toBe(expected);
  });

  it.each([
    ['an absolute URL', 'https://evil.example/'],
    ['an absolute URL without slashes', 'https:evil.example'],
    ['a scheme-relative URL', '//evil.example/x'],
    ['three slashes', '///evil.example'],
    ['a backslash host', '/\\evil.example/x'],
    ['a backslash after a slash', '/\\/evil.example'],
    ['a dot segment before a double slash', '/..//evil.example'],
    ['an encoded dot segment', '/%2e%2e//evil'],
    ['a mixed-case encoded dot segment', '/%2E%2e//evil'],
    ['a single dot segment', '/.//evil'],
    ['dot segments past the root', '/a/../..//evil'],
    ['an encoded single dot segment', '/%2e//evil'],
    ['a tab before the host', '/\t/evil.example'],
    ['a CR LF before the host', '/\r\n/evil.example'],
    ['a LF in the path', '/a\nLocation: https://evil'],
    ['a tab inside the scheme', 'jav\tascript:alert(1)'],
    ['a script URL', 'javascript:alert(1)'],
    ['a data URL', 'data:text/html,<script>alert(1)</script>'],
    ['a relative path', 'files/a'],
    ['a leading space', ' /files/a'],
    ['a control character', '/a\u0000b'],
    ['a DEL character', '/a\u007fb'],
    ['the empty string', ''],
    ['nothing', undefined],
    ['an array', ['/a', '/b']],
    ['a very long path', `/${'a'.repeat(3000)}`],
  ])('answers / for %s', (_case, value) => {
    const result = safeReturnTo(value);

    expect(result).toBe('/');
  });
});
