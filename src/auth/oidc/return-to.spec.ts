import { safeReturnTo } from './return-to.js';

describe('safeReturnTo', () => {
  it.each([
    ['/files/a', '/files/a'],
    ['/files/a?x=1#top', '/files/a?x=1#top'],
    ['/', '/'],
  ])('keeps the same-site path %s', (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected);
  });

  it.each([
    ['an absolute URL', 'https://evil.example/'],
    ['a scheme-relative URL', '//evil.example/x'],
    ['a backslash host', '/\\evil.example/x'],
    ['a tab before the host', '/\t/evil.example'],
    ['a script URL', 'javascript:alert(1)'],
    ['a relative path', 'files/a'],
    ['a control character', '/a\u0000b'],
    ['nothing', undefined],
    ['an array', ['/a', '/b']],
    ['a very long path', `/${'a'.repeat(3000)}`],
  ])('answers / for %s', (_case, value) => {
    expect(safeReturnTo(value)).toBe('/');
  });
});
