import { pathOf } from './request-target.js';

describe('pathOf', () => {
  it.each([
    ['/api/ws', '/api/ws'],
    ['/api/ws?since=5', '/api/ws'],
    ['http://127.0.0.1:8080/api/ws?ticket=x', '/api/ws'],
    ['/API/WS/', '/API/WS/'],
    ['/a%2Fb', '/a%2Fb'],
    ['', ''],
    [undefined, ''],
  ])('takes the path of %j as %j', (url, path) => {
    expect(pathOf(url)).toBe(path);
  });
});
