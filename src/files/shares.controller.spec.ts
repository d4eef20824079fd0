import type { Server } from 'node:http';

import { EventEmitterModule } from '@nestjs/event-emitter';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';

import { AUTH_PROVIDERS } from '../auth/auth.providers.js';
import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FERRO_OPTIONS, withDefaults } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { IntentJournal, NoIntentJournal } from '../journal/intent-journal.js';
import { setupFilesHttp } from './files-http.setup.js';
import { FILES_CONTROLLERS, FILES_PROVIDERS } from './files.providers.js';

const ADMIN = { user: 'admin', password: 'secret' };

async function startApp(options: Partial<FerroRealtimeOptions>): Promise<NestExpressApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [EventEmitterModule.forRoot()],
    controllers: FILES_CONTROLLERS,
    providers: [
      { provide: FERRO_OPTIONS, useValue: withDefaults({ storage: 'memory', ...options }) },
      ...AUTH_PROVIDERS,
      FerroEventBus,
      { provide: IntentJournal, useClass: NoIntentJournal },
      ...FILES_PROVIDERS,
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: false,
  });
  setupFilesHttp(app);
  return app.init();
}

describe('SharesController over HTTP', () => {
  let app: NestExpressApplication;
  let server: Server;

  beforeEach(async () => {
    app = await startApp({ simpleAuth: ADMIN });
    server = app.getHttpServer();
    await request(server)
      .put('/api/files/docs/Résumé "final".pdf')
      .auth(ADMIN.user, ADMIN.password)
      .send('pdf bytes');
  });

  afterEach(async () => {
    await app.close();
  });

  function createShare(body: object) {
    return request(server)
      .post('/api/shares')
      .set('Host', 'files.local:8080')
      .auth(ADMIN.user, ADMIN.password)
      .send(body);
  }

  async function tokenFor(body: object = {}): Promise<string> {
    const response = await createShare({ path: '/docs/Résumé "final".pdf', ...body });
    return response.body.token;
  }

  describe('POST /api/shares', () => {
    it('answers 201 with the token and an absolute url built from the request', async () => {
      const response = await createShare({ path: 'docs//Résumé "final".pdf', max_downloads: 2 });

      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        token: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        url: `http://files.local:8080/s/${response.body.token}`,
        path: '/docs/Résumé "final".pdf',
        created_at: expect.any(String),
        expires_at: null,
        max_downloads: 2,
        has_password: false,
      });
    });

    it('builds the url from publicUrl when it is set', async () => {
      const other = await startApp({ publicUrl: 'https://files.example.com/' });
      await request(other.getHttpServer()).put('/api/files/a.txt').send('a');

      const response = await request(other.getHttpServer())
        .post('/api/shares')
        .send({ path: '/a.txt' });
      await other.close();

      expect(response.body.url).toBe(`https://files.example.com/s/${response.body.token}`);
    });

    it('needs credentials', async () => {
      const response = await request(server).post('/api/shares').send({ path: '/docs' });

      expect(response.status).toBe(401);
    });

    it.each([
      ['no path', {}],
      ['a path that is not a string', { path: 7 }],
      ['an empty password', { path: '/x', password: '' }],
      ['a password over 1024 characters', { path: '/x', password: 'p'.repeat(1025) }],
      ['zero hours', { path: '/x', expires_in_hours: 0 }],
      ['negative hours', { path: '/x', expires_in_hours: -1 }],
      ['hours above ten years', { path: '/x', expires_in_hours: 87_601 }],
      ['hours as a string', { path: '/x', expires_in_hours: '5' }],
      ['zero downloads', { path: '/x', max_downloads: 0 }],
      ['fractional downloads', { path: '/x', max_downloads: 1.5 }],
      ['an unknown field', { path: '/x', public: true }],
    ])('answers 400 invalid_body for %s', async (_case, body) => {
      const response = await createShare(body);

      expect([response.status, response.body.error_code]).toEqual([400, 'invalid_body']);
    });

    it.each([
      ['a folder', '/docs', 400, 'not_a_file'],
      ['a missing file', '/nope.txt', 404, 'file_not_found'],
      ['a path that climbs out', '/../etc/passwd', 400, 'invalid_path'],
    ])('refuses to share %s', async (_case, path, status, code) => {
      const response = await createShare({ path });

      expect([response.status, response.body.error_code]).toEqual([status, code]);
    });
  });

  describe('GET /s/:token', () => {
    it('downloads without credentials, as an attachment with a safe name', async () => {
      const token = await tokenFor();

      const response = await request(server).get(`/s/${token}`).buffer(true);

      expect(response.status).toBe(200);
      expect(response.body.toString()).toBe('pdf bytes');
      expect(response.headers['content-type']).toBe('application/octet-stream');
      expect(response.headers['content-length']).toBe('9');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-disposition']).toBe(
        `attachment; filename="R_sum_ _final_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf`,
      );
    });

    it.each([
      ['the header', (req: request.Test) => req.set('X-Share-Password', 'pw')],
      ['the query', (req: request.Test) => req.query({ password: 'pw' })],
    ])('takes the password from %s', async (_case, withPassword) => {
      const token = await tokenFor({ password: 'pw' });

      const response = await withPassword(request(server).get(`/s/${token}`));

      expect(response.status).toBe(200);
    });

    it.each([
      ['a token of the wrong shape', () => '/s/not-a-token', 404, 'share_not_found'],
      ['an unknown token', () => '/s/AAAAAAAAAAAAAAAAAAAAAA', 404, 'share_not_found'],
    ])('answers %s with 404', async (_case, url, status, code) => {
      const response = await request(server).get(url());

      expect([response.status, response.body.error_code]).toEqual([status, code]);
    });

    it('keeps working after the file is renamed', async () => {
      const token = await tokenFor();
      await request(server)
        .post('/api/files/move')
        .auth(ADMIN.user, ADMIN.password)
        .send({ from: '/docs', to: '/archive' });

      const response = await request(server).get(`/s/${token}`).buffer(true);

      expect([response.status, response.body.toString()]).toEqual([200, 'pdf bytes']);
    });

    it('answers 401 without the password and 410 when downloads are used up', async () => {
      const locked = await tokenFor({ password: 'pw' });
      const once = await tokenFor({ max_downloads: 1 });
      await request(server).get(`/s/${once}`);

      const [noPassword, usedUp] = await Promise.all([
        request(server).get(`/s/${locked}`),
        request(server).get(`/s/${once}`),
      ]);

      expect([noPassword.status, noPassword.body.error_code]).toEqual([
        401,
        'share_password_required',
      ]);
      expect([usedUp.status, usedUp.body.error_code]).toEqual([410, 'share_expired']);
    });
  });
});
