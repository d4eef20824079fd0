import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';

import { isFileUpload, parseUnlessFileUpload, uploadBody } from './upload.body-parser.js';

function requestOf(method: string, url: string, contentType?: string): IncomingMessage {
  const headers = contentType ? { 'content-type': contentType } : {};
  return { method, url, headers } as IncomingMessage;
}

describe('isFileUpload', () => {
  it.each([
    ['PUT', '/api/files/a.json', '', true],
    ['PUT', '/api/files', '', true],
    ['PUT', '/api/files?x=1', '', true],
    ['PUT', '/API/Files/a', '', true],
    ['PUT', 'http://host:8080/api/files/a', '', true],
    ['PUT', '/v1/api/files/a', 'v1', true],
    ['PUT', '/v1/api/files/a', '/v1/', true],
    ['PUT', '/api/files/a', 'v1', false],
    ['PUT', '/api/filesystem', '', false],
    ['PUT', '/other/api/files/a', '', false],
    ['POST', '/api/files/move', '', false],
    ['POST', '/api/shares', '', false],
    ['GET', '/api/files/a', '', false],
  ])('%s %s with prefix %j is %j', (method, url, prefix, expected) => {
    const sut = isFileUpload;

    const result = sut(requestOf(method, url), prefix);

    expect(result).toBe(expected);
  });
});

describe('parseUnlessFileUpload', () => {
  it.each([
    ['POST', '/api/files/move', 'application/json', true],
    ['POST', '/api/shares', 'Application/JSON; charset=utf-8', true],
    ['POST', '/api/shares', 'text/plain', false],
    ['POST', '/api/shares', undefined, false],
    ['PUT', '/api/files/a.json', 'application/json', false],
  ])('for %s %s as %s says %j', (method, url, contentType, expected) => {
    const sut = parseUnlessFileUpload('application/json');

    const result = sut(requestOf(method, url, contentType));

    expect(result).toBe(expected);
  });
});

describe('uploadBody', () => {
  it('returns the request itself while its body is unread', () => {
    const req = Readable.from([]) as unknown as IncomingMessage;

    const body = uploadBody(req);

    expect(body).toBe(req);
  });

  it('refuses a request whose body a parser already read', async () => {
    const req = Readable.from(['{"a":1}']) as unknown as IncomingMessage;
    await text(req);

    const action = () => uploadBody(req);

    expect(action).toThrow(/setupFilesHttp/);
  });
});
