import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import request from 'supertest';

import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { connect } from './support/ws-client.js';

describe('file routes', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(() => server.close());

  const http = () => request(server.baseUrl);

  it('stores an upload byte for byte on disk, JSON included, and reads it back', async () => {
    const json = '{"not": "parsed",   "kept": true}';

    await http()
      .put('/api/files/config/settings.json')
      .set('content-type', 'application/json')
      .send(json)
      .expect(201, { path: '/config/settings.json', size: json.length, created: true });
    const read = await http().get('/api/files/config/settings.json').buffer(true).expect(200);

    expect(await readFile(join(server.dataDir, 'files/config/settings.json'), 'utf8')).toBe(json);
    expect(String(read.body)).toBe(json);
  });

  it('lets an upload take longer than the default 5-minute request timeout', () => {
    const http = server.app.getHttpServer() as import('node:http').Server;

    expect(http.requestTimeout).toBe(0);
    expect(http.headersTimeout).toBeGreaterThan(0);
  });

  it('lists a folder as JSON', async () => {
    await http().put('/api/files/docs/a.txt').send('aa').expect(201);
    await http().put('/api/files/docs/sub/b.txt').send('b').expect(201);

    const res = await http().get('/api/files/docs').expect(200);

    expect(res.body.path).toBe('/docs');
    expect(res.body.entries.map((e: { name: string; type: string }) => [e.name, e.type])).toEqual([
      ['a.txt', 'file'],
      ['sub', 'folder'],
    ]);
  });

  it.each([
    ['/api/files/../etc/passwd'],
    ['/api/files/%2e%2e/etc/passwd'],
    ['/api/files/docs/%2E%2E/%2E%2E/etc/passwd'],
    ['/api/files/docs/..%2f..%2fetc'],
    ['/api/files/a%00b.txt'],
    ['/api/files/..%5c..%5cwindows'],
    ['/api/files/%ZZ'],
  ])('refuses the traversal %s with 400 and writes nothing', async (path) => {
    const socket = await connect(server.wsUrl);

    const res = await http().put(path).send('evil');

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error_code: 'invalid_path' });
    expect(await readdir(join(server.dataDir, 'files'))).toEqual([]);
    await socket.expectSilence(100);
    await socket.close();
  });

  it('answers 404 for a missing file on read, delete and move', async () => {
    const read = await http().get('/api/files/missing.txt').expect(404);
    await http().delete('/api/files/missing.txt').expect(404);
    await http().post('/api/files/move').send({ from: '/missing.txt', to: '/x.txt' }).expect(404);

    expect(read.body).toEqual({ error: expect.any(String), error_code: 'file_not_found' });
  });

  it('refuses a move onto an existing target (409) and into itself (400), changing nothing', async () => {
    await http().put('/api/files/a/one.txt').send('1').expect(201);
    await http().put('/api/files/b.txt').send('2').expect(201);

    const onto = await http().post('/api/files/move').send({ from: '/a/one.txt', to: '/b.txt' });
    const into = await http().post('/api/files/move').send({ from: '/a', to: '/a/inner/a' });

    expect([onto.status, onto.body.error_code]).toEqual([409, 'target_exists']);
    expect([into.status, into.body.error_code]).toEqual([400, 'move_into_self']);
    expect(await readFile(join(server.dataDir, 'files/b.txt'), 'utf8')).toBe('2');
    expect(await readFile(join(server.dataDir, 'files/a/one.txt'), 'utf8')).toBe('1');
  });

  it.each([
    [{}],
    [{ from: '/a' }],
    [{ from: 1, to: '/b' }],
    [{ from: '/a', to: '/b', extra: true }],
  ])('refuses the move body %j with 400', async (body) => {
    const res = await http().post('/api/files/move').send(body).expect(400);

    expect(res.body.error_code).toBe('invalid_body');
  });

  it('refuses a malformed JSON body with 400 JSON', async () => {
    const res = await http()
      .post('/api/files/move')
      .set('content-type', 'application/json')
      .send('{"from": ')
      .expect(400);

    expect(res.body).toMatchObject({ error_code: 'invalid_body' });
  });
});

describe('share links', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(() => server.close());

  const http = () => request(server.baseUrl);

  it('downloads a shared file without auth, and 404s an unknown token', async () => {
    await http().put('/api/files/documents/report.pdf').send('PDF!').expect(201);

    const { body } = await http()
      .post('/api/shares')
      .send({ path: '/documents/report.pdf' })
      .expect(201);
    const download = await http().get(`/s/${body.token}`).buffer(true).expect(200);
    const unknown = await http().get('/s/abc123def456').expect(404);

    expect(body.url).toBe(`${server.baseUrl}/s/${body.token}`);
    expect(String(download.body)).toBe('PDF!');
    expect(download.headers['content-disposition']).toContain('report.pdf');
    expect(unknown.body).toMatchObject({ error_code: 'share_not_found' });
  });

  it('enforces a share password and a download limit', async () => {
    await http().put('/api/files/secret.txt').send('s').expect(201);
    const { body } = await http()
      .post('/api/shares')
      .send({ path: '/secret.txt', password: 'open sesame', max_downloads: 1 })
      .expect(201);

    await http().get(`/s/${body.token}`).expect(401);
    await http().get(`/s/${body.token}`).set('x-share-password', 'wrong').expect(401);
    await http().get(`/s/${body.token}`).set('x-share-password', 'open sesame').expect(200);
    await http().get(`/s/${body.token}`).set('x-share-password', 'open sesame').expect(410);
  });

  it('refuses to share a missing file or a folder', async () => {
    await http().put('/api/files/folder/x.txt').send('x').expect(201);

    await http().post('/api/shares').send({ path: '/nope.txt' }).expect(404);
    await http().post('/api/shares').send({ path: '/folder' }).expect(400);
  });
});

describe('cross-site requests', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startServer({ simpleAuth: { user: 'admin', password: 'secret' } });
  });

  afterEach(() => server.close());

  it('refuses form-encoded bodies a foreign page could post, and changes nothing', async () => {
    const auth = { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` };
    await request(server.baseUrl).put('/api/files/o.txt').set(auth).send('o').expect(201);

    const move = await request(server.baseUrl)
      .post('/api/files/move')
      .set(auth)
      .set('origin', 'https://evil.example')
      .type('form')
      .send('from=/o.txt&to=/stolen.txt');
    const share = await request(server.baseUrl)
      .post('/api/shares')
      .set(auth)
      .type('form')
      .send('path=/o.txt');

    expect([move.status, move.body.error_code]).toEqual([400, 'invalid_body']);
    expect([share.status, share.body.error_code]).toEqual([400, 'invalid_body']);
    await request(server.baseUrl).get('/api/files/o.txt').set(auth).expect(200);
  });
});

describe('aborted uploads', () => {
  it('keeps nothing from an upload the client aborted, and logs no error', async () => {
    const { Logger } = await import('@nestjs/common');
    const errors = vi.spyOn(Logger.prototype, 'error');
    const server = await startServer();
    const { port } = new URL(server.baseUrl);
    const { request: httpRequest } = await import('node:http');

    const upload = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: '/api/files/partial.bin',
      headers: { 'content-length': String(10 * 1024 * 1024) },
    });
    upload.on('error', () => undefined);
    upload.write(Buffer.alloc(64 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 100));
    upload.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));

    await request(server.baseUrl).get('/api/files/partial.bin').expect(404);
    expect(await readdir(join(server.dataDir, '.staging'))).toEqual([]);
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
    await server.close();
  });
});
