import request from 'supertest';

import { JWKS_OPTIONS } from '../src/auth/oidc/bearer-token.verifier.js';
import { badTokens } from './support/bad-tokens.js';
import { startOidcProvider } from './support/oidc-provider.js';
import type { OidcProviderHarness } from './support/oidc-provider.js';
import { openSse } from './support/sse-client.js';
import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { basicAuth, connect, expectRefused } from './support/ws-client.js';

const UNAUTHORIZED = { error: 'Authentication required', error_code: 'unauthorized' };

/**
 * Bearer tokens from a real OpenID provider on loopback, through every
 * door: the file routes, the SSE stream and the WebSocket upgrade.
 */
describe('OIDC bearer tokens', () => {
  let provider: OidcProviderHarness;
  let server: TestServer;

  beforeAll(async () => {
    provider = await startOidcProvider();
    server = await startServer({
      oidc: { issuer: provider.issuer, audience: provider.audience },
      simpleAuth: { user: 'admin', password: 'secret' },
    });
  });

  afterAll(async () => {
    await server.close();
    await provider.close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('opens the WebSocket, the SSE stream and the file routes, owner = preferred_username', async () => {
    const token = await provider.mintAccessToken({ preferred_username: 'alice' });
    const socket = await connect(server.wsUrl, { headers: bearer(token) });
    const stream = await openSse(`${server.baseUrl}/api/sync/events`, bearer(token));

    await request(server.baseUrl)
      .put('/api/files/from-alice.txt')
      .set(bearer(token))
      .send('hi')
      .expect(201);

    expect(stream.res.statusCode).toBe(200);
    expect(await socket.next()).toEqual({
      type: 'file_created',
      path: '/from-alice.txt',
      size: 2,
      owner: 'alice',
    });
    expect(JSON.parse((await stream.next()).data)).toMatchObject({ owner: 'alice' });
    stream.close();
    await socket.close();
  });

  it('names the owner after sub when there is no preferred_username', async () => {
    const token = await provider.mintAccessToken({ preferred_username: undefined, sub: 'u-42' });
    const socket = await connect(server.wsUrl, { headers: bearer(token) });

    await request(server.baseUrl).delete('/api/files/from-alice.txt').set(bearer(token));

    expect(await socket.next()).toMatchObject({ type: 'file_deleted', owner: 'u-42' });
    await socket.close();
  });

  it('still accepts Basic when both modes are on, and challenges for both', async () => {
    const res = await request(server.baseUrl).get('/api/files/').expect(401);

    await request(server.baseUrl)
      .get('/api/files/')
      .set('authorization', basicAuth('admin', 'secret'))
      .expect(200);
    expect(res.headers['www-authenticate']).toBe(
      'Basic realm="Ferro", charset="UTF-8", Bearer realm="Ferro"',
    );
  });

  it('challenges a bad bearer token for every mode that is on', async () => {
    const res = await request(server.baseUrl).get('/api/files/').set(bearer('nope')).expect(401);

    expect(res.headers['www-authenticate']).toBe(
      'Basic realm="Ferro", charset="UTF-8", Bearer realm="Ferro", error="invalid_token"',
    );
  });

  it('follows a key rotation at the provider without a restart', async () => {
    const before = await provider.mintAccessToken();
    await request(server.baseUrl).get('/api/files/').set(bearer(before)).expect(200);

    await provider.rotateKeys();
    // jose refetches a JWKS for an unknown kid at most once per cooldown;
    // only Date moves, so sockets and timers keep real time.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + JWKS_OPTIONS.cooldownDuration + 1_000);
    const after = await provider.mintAccessToken();
    const socket = await connect(server.wsUrl, { headers: bearer(after) }).finally(() =>
      vi.useRealTimers(),
    );

    const old = await request(server.baseUrl).get('/api/files/').set(bearer(before));
    expect(old.status).toBe(401);
    await socket.close();
  });

  it.each(badTokens)('refuses a token $name at the upgrade and on /api', async ({ token }) => {
    const bad = await token(provider);

    const refusal = await expectRefused(server.wsUrl, { headers: bearer(bad) });
    const http = await request(server.baseUrl).get('/api/files/').set(bearer(bad));

    expect(refusal.status).toBe(401);
    expect(refusal.body).toEqual(UNAUTHORIZED);
    expect([http.status, http.body]).toEqual([401, UNAUTHORIZED]);
  });
});

describe('OIDC bearer tokens while the provider is down', () => {
  it('answers 503 at the upgrade and on /api, so clients keep their tokens', async () => {
    const provider = await startOidcProvider();
    const token = await provider.mintAccessToken();
    await provider.close();
    const server = await startServer({
      oidc: { issuer: provider.issuer, audience: provider.audience },
    });

    const refusal = await expectRefused(server.wsUrl, {
      headers: { authorization: `Bearer ${token}` },
    });
    const http = await request(server.baseUrl)
      .get('/api/files/')
      .set('authorization', `Bearer ${token}`);

    expect(refusal.status).toBe(503);
    expect(refusal.body).toMatchObject({ error_code: 'auth_unavailable' });
    expect([http.status, http.body.error_code]).toEqual([503, 'auth_unavailable']);
    expect(http.headers['retry-after']).toBeDefined();
    await server.close();
  });
});
