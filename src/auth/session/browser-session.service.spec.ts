import type { IncomingMessage } from 'node:http';

import { sign } from 'cookie-signature';
import type { SessionData } from 'express-session';

import { DEFAULT_OPTIONS } from '../../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../../ferro-realtime.options.js';
import { BrowserSessionService } from './browser-session.service.js';

const SECRET = 'test-secret';

function options(overrides: Partial<FerroRealtimeOptions> = {}): FerroRealtimeOptions {
  return {
    ...DEFAULT_OPTIONS,
    oidc: { issuer: 'https://idp.example', clientId: 'c', clientSecret: 's', audience: 'c' },
    sessionSecret: SECRET,
    ...overrides,
  };
}

function upgradeRequest(cookie?: string): IncomingMessage {
  return { headers: cookie === undefined ? {} : { cookie } } as IncomingMessage;
}

function signedCookie(sid: string, secret = SECRET): string {
  return `ferro.sid=${encodeURIComponent(`s:${sign(sid, secret)}`)}`;
}

function loggedIn(user: unknown): SessionData {
  return { cookie: { originalMaxAge: null }, passport: { user } } as unknown as SessionData;
}

describe('BrowserSessionService.principalOf', () => {
  let sut: BrowserSessionService;

  beforeEach(async () => {
    sut = new BrowserSessionService(options());
    await new Promise<void>((resolve) =>
      sut.store.set('sid-1', loggedIn({ name: 'alice' }), () => resolve()),
    );
  });

  it('reads the logged-in user from the cookie at an upgrade', async () => {
    const principal = await sut.principalOf(upgradeRequest(`a=b; ${signedCookie('sid-1')}`));

    expect(principal).toEqual({ name: 'alice', method: 'session' });
  });

  it.each([
    ['no cookie header', undefined],
    ['another cookie only', 'other=1'],
    ['an unsigned session id', 'ferro.sid=sid-1'],
    ['a signature made with another secret', signedCookie('sid-1', 'other-secret')],
    ['an unknown session', signedCookie('sid-2')],
    ['a malformed cookie', 'ferro.sid=%E0%A4%A'],
  ])('finds nobody with %s', async (_case, cookie) => {
    const principal = await sut.principalOf(upgradeRequest(cookie));

    expect(principal).toBeUndefined();
  });

  it('prefers the session the middleware already loaded', async () => {
    const req = upgradeRequest(signedCookie('sid-1')) as IncomingMessage & { session: unknown };
    req.session = loggedIn({ name: 'bob' });

    const principal = await sut.principalOf(req);

    expect(principal).toEqual({ name: 'bob', method: 'session' });
  });

  it.each([[{}], [{ name: '' }], [{ name: 42 }], ['alice']])(
    'ignores a stored user of the wrong shape: %j',
    async (user) => {
      await new Promise<void>((resolve) => sut.store.set('sid-3', loggedIn(user), () => resolve()));

      const principal = await sut.principalOf(upgradeRequest(signedCookie('sid-3')));

      expect(principal).toBeUndefined();
    },
  );

  it('finds nobody when OIDC is off', async () => {
    const disabled = new BrowserSessionService(options({ oidc: undefined }));

    const principal = await disabled.principalOf(upgradeRequest(signedCookie('sid-1')));

    expect(principal).toBeUndefined();
  });
});
