import { attachmentDisposition } from './content-disposition.js';

describe('attachmentDisposition', () => {
  it.each([
    ['report.pdf', `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`],
    ['a b.txt', `attachment; filename="a b.txt"; filename*=UTF-8''a%20b.txt`],
    ['Résumé.pdf', `attachment; filename="R_sum_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf`],
    ['"quoted".txt', `attachment; filename="_quoted_.txt"; filename*=UTF-8''%22quoted%22.txt`],
    ['back\\slash', `attachment; filename="back_slash"; filename*=UTF-8''back%5Cslash`],
    ['100%.txt', `attachment; filename="100_.txt"; filename*=UTF-8''100%25.txt`],
    [
      "it's (1)*.txt",
      `attachment; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`,
    ],
    [
      'line\r\nSet-Cookie: x',
      `attachment; filename="line__Set-Cookie: x"; filename*=UTF-8''line%0D%0ASet-Cookie%3A%20x`,
    ],
    ['日本.txt', `attachment; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`],
  ])('names %j safely', (name, expected) => {
    const sut = attachmentDisposition;

    const header = sut(name);

    expect(header).toBe(expected);
    expect(header).toMatch(/^[\x20-\x7e]+$/);
  });
});
