import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EventEmitterModule } from '@nestjs/event-emitter';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { AUTH_PROVIDERS } from '../auth/auth.providers.js';
import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import { FERRO_OPTIONS, withDefaults } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { IntentJournal, NoIntentJournal } from '../journal/intent-journal.js';
import { FILES_CONTROLLERS, FILES_PROVIDERS } from './files.providers.js';
import { setupFilesHttp } from './files-http.setup.js';

async function startApp(
  options: Partial<FerroRealtimeOptions>,
  setup: 'ferro' | 'nest-defaults' | 'ferro-over-defaults' = 'ferro',
): Promise<NestExpressApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [EventEmitterModule.forRoot()],
    controllers: FILES_CONTROLLERS,
    providers: [
      { provide: FERRO_OPTIONS, useValue: withDefaults(options) },
      ...AUTH_PROVIDERS,
      FerroEventBus,
      { provide: IntentJournal, useClass: NoIntentJournal },
      ...FILES_PROVIDERS,
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: setup !== 'ferro',
    logger: false,
  });
  if (setup !== 'nest-defaults') {
    setupFilesHttp(app);
  }
  return app.init();
}

/** A request with the target sent byte for byte, as `curl --path-as-is` would. */
function rawRequest(server: Server, method: string, path: string): Promise<[number, string]> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, method, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve([res.statusCode ?? 0, text]));
    });
    req.on('error', reject);
    req.end(method === 'PUT' ? 'planted' : undefined);
  });
}

describe('FilesController over HTTP', () => {
  let dataDir: string;
  let app: NestExpressApplication;
  let server: Server;
  let events: string[];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ferro-http-'));
    app = await startApp({ storage: 'local', dataDir: join(dataDir, 'data') });
    server = app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    events = [];
    const emitter = app.get(FerroEventBus);
    const original = emitter.emit.bind(emitter);
    vi.spyOn(emitter, 'emit').mockImplementation((name, payload) => {
      events.push(name);
      original(name, payload);
    });
  });

  afterEach(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('upload', () => {
    it('answers 201 for a new file and 200 for an overwrite', async () => {
      const first = await request(server).put('/api/files/docs/a.txt').send('one');
      const second = await request(server).put('/api/files/docs/a.txt').send('second');

      expect([first.status, first.body]).toEqual([
        201,
        { path: '/docs/a.txt', size: 3, created: true },
      ]);
      expect([second.status, second.body]).toEqual([
        200,
        { path: '/docs/a.txt', size: 6, created: false },
      ]);
      expect(events).toEqual([FerroEvent.FileCreated, FerroEvent.FileUpdated]);
    });

    it.each([
      ['application/json', '{"not":"parsed"}'],
      ['application/x-www-form-urlencoded', 'a=1&b=2'],
      ['text/plain; charset=utf-8', 'plain'],
      ['application/json', '{ invalid json'],
    ])('stores a %s body byte for byte', async (contentType, content) => {
      await request(server)
        .put('/api/files/raw')
        .set('Content-Type', contentType)
        .send(content)
        .expect(201);

      const download = await request(server).get('/api/files/raw').buffer(true);

      expect(download.body.toString()).toBe(content);
    });

    it('stores a JSON body far above the JSON parser limit', async () => {
      const content = `[${'1,'.repeat(1024 * 1024)}1]`;

      const upload = await request(server)
        .put('/api/files/big.json')
        .set('Content-Type', 'application/json')
        .send(content);

      expect(upload.body).toMatchObject({ size: content.length, created: true });
    });

    it('refuses an upload onto a folder with 409', async () => {
      await request(server).put('/api/files/dir/a.txt').send('x');

      const response = await request(server).put('/api/files/dir').send('y');

      expect([response.status, response.body.error_code]).toEqual([409, 'target_exists']);
    });
  });

  describe('download and listing', () => {
    it('streams a file as octet-stream with its length', async () => {
      await request(server).put('/api/files/a.txt').send('hello');

      const response = await request(server).get('/api/files/a.txt').buffer(true);

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/octet-stream');
      expect(response.headers['content-length']).toBe('5');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.body.toString()).toBe('hello');
    });

    it.each(['/api/files', '/api/files/', '/api/files//'])('lists the root at %s', async (url) => {
      await request(server).put('/api/files/dir/x.txt').send('x');

      const response = await request(server).get(url);

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        path: '/',
        entries: [{ path: '/dir', name: 'dir', type: 'folder', size: 0 }],
      });
    });

    it('lists a folder', async () => {
      await request(server).put('/api/files/dir/b.txt').send('bb');

      const response = await request(server).get('/api/files/dir/');

      expect(response.body).toMatchObject({
        path: '/dir',
        entries: [{ path: '/dir/b.txt', type: 'file', size: 2 }],
      });
    });

    it('decodes an encoded name once', async () => {
      await request(server).put('/api/files/100%25%20sure.txt').send('x');

      const response = await request(server).get('/api/files/');

      expect(response.body.entries[0].name).toBe('100% sure.txt');
    });

    it('answers 404 file_not_found as JSON', async () => {
      const response = await request(server).get('/api/files/missing.txt');

      expect([response.status, response.body]).toEqual([
        404,
        { error: expect.any(String), error_code: 'file_not_found' },
      ]);
    });
  });

  describe('delete', () => {
    it('deletes a folder with its files and answers 204', async () => {
      await request(server).put('/api/files/dir/a.txt').send('a');
      await request(server).put('/api/files/dir/b.txt').send('b');
      events = [];

      const response = await request(server).delete('/api/files/dir');

      expect(response.status).toBe(204);
      expect(events).toEqual([FerroEvent.FileDeleted]);
      expect(await readdir(join(dataDir, 'data', 'files'))).toEqual([]);
    });

    it.each([
      ['/api/files/missing', 404, 'file_not_found'],
      ['/api/files', 400, 'invalid_path'],
      ['/api/files/', 400, 'invalid_path'],
    ])('answers DELETE %s with %i', async (url, status, code) => {
      const response = await request(server).delete(url);

      expect([response.status, response.body.error_code]).toEqual([status, code]);
    });
  });

  describe('move', () => {
    beforeEach(async () => {
      await request(server).put('/api/files/a.txt').send('a');
      await request(server).put('/api/files/b.txt').send('b');
      await request(server).put('/api/files/dir/c.txt').send('c');
      events = [];
    });

    it('moves and answers 200 with the normalized paths', async () => {
      const response = await request(server)
        .post('/api/files/move')
        .send({ from: 'a.txt', to: '/archive//a.txt' });

      expect([response.status, response.body]).toEqual([
        200,
        { from: '/a.txt', to: '/archive/a.txt' },
      ]);
      expect(events).toEqual([FerroEvent.FileMoved]);
    });

    it.each([
      ['the target exists', { from: '/a.txt', to: '/b.txt' }, 409, 'target_exists'],
      ['a folder goes into itself', { from: '/dir', to: '/dir/sub' }, 400, 'move_into_self'],
      ['the source is missing', { from: '/nope', to: '/x' }, 404, 'file_not_found'],
      ['the target climbs out', { from: '/a.txt', to: '/../a.txt' }, 400, 'invalid_path'],
      ['"to" is missing', { from: '/a.txt' }, 400, 'invalid_body'],
      ['"from" is not a string', { from: 1, to: '/x' }, 400, 'invalid_body'],
      ['"from" is empty', { from: '', to: '/x' }, 400, 'invalid_body'],
      ['there is an extra field', { from: '/a.txt', to: '/x', force: true }, 400, 'invalid_body'],
    ])('refuses when %s and emits nothing', async (_case, body, status, code) => {
      const response = await request(server).post('/api/files/move').send(body);

      expect([response.status, response.body.error_code]).toEqual([status, code]);
      expect(events).toEqual([]);
    });
  });

  describe('paths that would leave the root', () => {
    it.each([
      ['GET', '/api/files/../../etc/passwd'],
      ['GET', '/api/files/%2e%2e/%2e%2e/etc/passwd'],
      ['GET', '/api/files/%2E%2E/x'],
      ['GET', '/api/files/..%2f..%2fetc%2fpasswd'],
      ['GET', '/api/files/a%2f..%2f..%2fx'],
      ['GET', '/api/files/a%00.txt'],
      ['GET', '/api/files/..%5c..%5cx'],
      ['GET', '/api/files/a\\..\\x'],
      ['PUT', '/api/files/%2e%2e/planted.txt'],
      ['PUT', '/api/files/..%2fplanted.txt'],
      ['PUT', '/api/files/x%00/planted.txt'],
      ['DELETE', '/api/files/%2e%2e'],
      ['DELETE', '/api/files/..%2f..%2fdata'],
    ])('answers %s %s with 400 invalid_path and touches nothing', async (method, path) => {
      const [status, text] = await rawRequest(server, method, path);

      expect([status, JSON.parse(text).error_code]).toEqual([400, 'invalid_path']);
      expect(await readdir(dataDir)).toEqual(['data']);
      expect(await readdir(join(dataDir, 'data', 'files'))).toEqual([]);
      expect(events).toEqual([]);
    });

    it.each([
      ['GET', '/api/files/%E0%A4%A'],
      ['PUT', '/api/files/a/%zz'],
      ['DELETE', '/API/FILES/50%'],
      ['GET', '/s/%C3%28'],
    ])('answers %s %s, a malformed escape, with 400 invalid_path', async (method, path) => {
      const [status, text] = await rawRequest(server, method, path);

      expect([status, JSON.parse(text).error_code]).toEqual([400, 'invalid_path']);
      expect(events).toEqual([]);
    });
  });
});

describe('FilesController body parsing setup', () => {
  it('still stores uploads raw when the app keeps Nest default parsers on', async () => {
    const app = await startApp({ storage: 'memory' }, 'ferro-over-defaults');
    const server = app.getHttpServer();

    await request(server).put('/api/files/a.json').type('json').send('{"a": 1}');
    const download = await request(server).get('/api/files/a.json').buffer(true);
    await app.close();

    expect(download.body.toString()).toBe('{"a": 1}');
  });

  it('fails loudly, storing nothing, when a parser ate the upload', async () => {
    const app = await startApp({ storage: 'memory' }, 'nest-defaults');
    const server = app.getHttpServer();

    const upload = await request(server).put('/api/files/a.json').type('json').send('{"a":1}');
    const listing = await request(server).get('/api/files/');
    await app.close();

    expect(upload.status).toBe(500);
    expect(listing.body.entries).toEqual([]);
  });
});

describe('FilesController with auth on', () => {
  it('refuses a request without credentials with 401', async () => {
    const app = await startApp({ storage: 'memory', simpleAuth: { user: 'u', password: 'p' } });

    const response = await request(app.getHttpServer()).get('/api/files/');
    await app.close();

    expect([response.status, response.body.error_code]).toEqual([401, 'unauthorized']);
  });
});
