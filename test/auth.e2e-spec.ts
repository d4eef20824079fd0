import request from 'supertest';

import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { basicAuth, connect, expectRefused } from './support/ws-client.js';

const USER = 'admin';
const PASSWORD = 'pa:ss wörd';
const GOOD = basicAuth(USER, PASSWORD);
const UNAUTHORIZED = { error: 'Authentication required', error_code: 'unauthorized' };

describe('simple auth', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ simpleAuth: { user: USER, password: PASSWORD } });
  });

  afterAll(() => server.close());

  const badHeaders: Array<[string, Record<string, string>]> = [
    ['no header', {}],
    ['an empty header', { authorization: '' }],
    ['a wrong password', { authorization: basicAuth(USER, 'pa:ss') }],
    ['an unknown user', { authorization: basicAuth('root', PASSWORD) }],
    ['malformed base64', { authorization: 'Basic %%%not-base64%%%' }],
    ['another scheme', { authorization: 'Bearer abc.def.ghi' }],
  ];

  it.each(badHeaders)('answers %s with 401 on /api/files', async (_name, headers) => {
    const res = await request(server.baseUrl).get('/api/files/').set(headers).expect(401);

    expect(res.body).toEqual(UNAUTHORIZED);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm="Ferro"/);
  });

  it.each(badHeaders)('answers %s with 401 on the SSE stream', async (_name, headers) => {
    const res = await request(server.baseUrl).get('/api/sync/events').set(headers).expect(401);

    expect(res.body).toEqual(UNAUTHORIZED);
  });

  it.each(badHeaders)('refuses the upgrade with %s before it happens', async (_name, headers) => {
    const refusal = await expectRefused(server.wsUrl, { headers });

    expect(refusal.status).toBe(401);
    expect(refusal.body).toEqual(UNAUTHORIZED);
    expect(refusal.headers['www-authenticate']).toMatch(/^Basic realm="Ferro"/);
  });

  it('accepts a password with a colon and non-ASCII, and names the owner', async () => {
    const socket = await connect(server.wsUrl, { headers: { authorization: GOOD } });

    await request(server.baseUrl)
      .put('/api/files/documents/report.pdf')
      .set('authorization', GOOD)
      .send('12345')
      .expect(201);

    expect(await socket.next()).toEqual({
      type: 'file_created',
      path: '/documents/report.pdf',
      size: 5,
      owner: 'admin',
    });
    await socket.close();
  });

  it('asks for credentials before telling a plain GET /api/ws to upgrade', async () => {
    await request(server.baseUrl).get('/api/ws').expect(401);
    await request(server.baseUrl).get('/api/ws').set('authorization', GOOD).expect(426);
  });

  it('leaves liveness, readiness and share downloads public', async () => {
    await request(server.baseUrl).get('/healthz').expect(200);
    await request(server.baseUrl).get('/readyz').expect(200);
    await request(server.baseUrl).get('/s/unknown-token').expect(404);
  });
});

describe('cross-site WebSocket hijacking with cached Basic credentials', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ simpleAuth: { user: USER, password: PASSWORD } });
  });

  afterAll(() => server.close());

  it('refuses a Basic upgrade from a foreign page, and allows its own page and non-browsers', async () => {
    const foreign = await expectRefused(server.wsUrl, {
      headers: { authorization: GOOD },
      origin: 'https://evil.example',
    });
    const ownPage = await connect(server.wsUrl, {
      headers: { authorization: GOOD },
      origin: server.baseUrl,
    });
    const script = await connect(server.wsUrl, { headers: { authorization: GOOD } });

    expect(foreign.status).toBe(403);
    await Promise.all([ownPage.close(), script.close()]);
  });

  it('keeps the server own origin allowed when an allow-list is set', async () => {
    const listed = await startServer({
      simpleAuth: { user: USER, password: PASSWORD },
      allowedOrigins: ['https://app.example'],
    });

    const own = await connect(listed.wsUrl, {
      headers: { authorization: GOOD },
      origin: listed.baseUrl,
    });
    const other = await expectRefused(listed.wsUrl, {
      headers: { authorization: GOOD },
      origin: 'https://other.example',
    });

    expect(other.status).toBe(403);
    await own.close();
    await listed.close();
  });
});
