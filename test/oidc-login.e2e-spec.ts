import { once } from 'node:events';

import WebSocket from 'ws';

import { startOidcProvider } from './support/oidc-provider.js';
import type { OidcProviderHarness } from './support/oidc-provider.js';
import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';

/**
 * The public address the provider knows the server by, as behind a
 * reverse proxy: the provider needs the redirect URI before the server
 * has its port, so the test browser maps this origin to the server.
 */
const PUBLIC_URL = 'http://ferro.test';
const CALLBACK = `${PUBLIC_URL}/api/auth/callback`;

interface StoredCookie {
  value: string;
  attributes: string[];
}

/**
 * A browser reduced to what a login needs: one cookie jar per origin, and
 * redirects followed by hand so every hop can be inspected.
 */
class Browser {
  private readonly jars = new Map<string, Map<string, StoredCookie>>();

  constructor(private readonly server: TestServer) {}

  cookie(name: string): StoredCookie | undefined {
    return this.jarOf(this.server.baseUrl).get(name);
  }

  cookieHeaderFor(url: string): string {
    const jar = this.jarOf(new URL(url).origin);
    return [...jar].map(([name, cookie]) => `${name}=${cookie.value}`).join('; ');
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = url.startsWith(PUBLIC_URL)
      ? this.server.baseUrl + url.slice(PUBLIC_URL.length)
      : url;
    const headers = new Headers(init.headers);
    const cookies = this.cookieHeaderFor(target);
    if (cookies) headers.set('cookie', cookies);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.store(new URL(target).origin, response.headers.getSetCookie());
    return response;
  }

  /** Follows redirects within the provider until it sends the browser back to us. */
  async untilCallback(start: string, login: string): Promise<string> {
    let url = start;
    for (let hop = 0; hop < 20; hop += 1) {
      const response = await this.request(url);
      const location = response.headers.get('location');
      if (location) {
        url = new URL(location, url).toString();
        if (url.startsWith(CALLBACK)) return url;
        continue;
      }
      url = await this.submitInteraction(url, await response.text(), login);
    }
    throw new Error(`no redirect to the callback within 20 hops (last ${url})`);
  }

  /** Answers oidc-provider's development login or consent form. */
  private async submitInteraction(url: string, html: string, login: string): Promise<string> {
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form at ${url}: ${html.slice(0, 200)}`);
    const form = html.includes('name="login"')
      ? new URLSearchParams({ prompt: 'login', login, password: 'any' })
      : new URLSearchParams({ prompt: 'consent' });
    const target = new URL(action, url).toString();
    const response = await this.request(target, { method: 'POST', body: form });
    const location = response.headers.get('location');
    if (!location) throw new Error(`form at ${url} answered ${response.status} without redirect`);
    return new URL(location, target).toString();
  }

  private store(origin: string, setCookies: string[]): void {
    const jar = this.jarOf(origin);
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const split = pair.indexOf('=');
      const name = pair.slice(0, split);
      const expired = attributes.some((a) => /^expires=thu, 01 jan 1970/i.test(a));
      if (expired) jar.delete(name);
      else jar.set(name, { value: pair.slice(split + 1), attributes });
    }
  }

  private jarOf(origin: string): Map<string, StoredCookie> {
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new Map()));
    return jar;
  }
}

describe('OIDC browser login (C09)', () => {
  let provider: OidcProviderHarness;
  let server: TestServer;

  beforeAll(async () => {
    provider = await startOidcProvider({ redirectUris: [CALLBACK] });
    server = await startServer({
      oidc: {
        issuer: provider.issuer,
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
        audience: provider.audience,
      },
      publicUrl: PUBLIC_URL,
    });
  });

  afterAll(async () => {
    await server?.close();
    await provider?.close();
  });

  async function startLogin(browser: Browser, path = '/api/auth/login'): Promise<string> {
    const response = await browser.request(`${server.baseUrl}${path}`);
    expect(response.status).toBe(302);
    const location = response.headers.get('location')!;
    expect(location.startsWith(provider.issuer)).toBe(true);
    return location;
  }

  async function info(browser: Browser): Promise<unknown> {
    const response = await browser.request(`${server.baseUrl}/api/auth/info`);
    expect(response.status).toBe(200);
    return response.json();
  }

  async function expectLoginFailed(response: Response): Promise<void> {
    expect(response.status).toBe(401);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toMatchObject({ error_code: 'login_failed' });
  }

  it('logs in through the provider into a new session, and logs out', async () => {
    const browser = new Browser(server);

    const returnTo = encodeURIComponent('/files/a?b=1');
    const authorize = await startLogin(browser, `/api/auth/login?return_to=${returnTo}`);
    const pendingSid = browser.cookie('ferro.sid')?.value;
    const callback = await browser.untilCallback(authorize, 'alice');
    const done = await browser.request(callback);

    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/files/a?b=1');
    const session = browser.cookie('ferro.sid');
    expect(pendingSid).toBeDefined();
    expect(session?.value).not.toBe(pendingSid);
    expect(session?.attributes).toEqual(
      expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/api']),
    );
    expect(await info(browser)).toEqual({ authenticated: true, user: 'alice', method: 'session' });

    const logout = await browser.request(`${server.baseUrl}/api/auth/logout`, { method: 'POST' });

    expect(logout.status).toBe(204);
    expect(browser.cookie('ferro.sid')).toBeUndefined();
    expect(await info(browser)).toEqual({ authenticated: false });
  });

  it('answers 401 JSON at the callback without the state cookie', async () => {
    const browser = new Browser(server);
    const callback = await browser.untilCallback(await startLogin(browser), 'bob');

    const response = await new Browser(server).request(callback);

    await expectLoginFailed(response);
  });

  it('accepts each state once: a replayed callback gets 401 JSON', async () => {
    const browser = new Browser(server);
    const callback = await browser.untilCallback(await startLogin(browser), 'carol');
    expect((await browser.request(callback)).status).toBe(302);

    const replay = await browser.request(callback);

    await expectLoginFailed(replay);
  });

  it('refuses a state made for another browser session', async () => {
    const victim = new Browser(server);
    const attacker = new Browser(server);
    await startLogin(victim);
    const attackerCallback = await attacker.untilCallback(await startLogin(attacker), 'mallory');

    const response = await victim.request(attackerCallback);

    await expectLoginFailed(response);
    expect(await info(victim)).toEqual({ authenticated: false });
  });

  it.each([
    ['the older tab first', [0, 1]],
    ['the newer tab first', [1, 0]],
  ])('completes both of two logins pending in two tabs, %s', async (_case, order) => {
    const browser = new Browser(server);
    const tabs = [
      await startLogin(browser, '/api/auth/login?return_to=%2Ftab-0'),
      await startLogin(browser, '/api/auth/login?return_to=%2Ftab-1'),
    ];
    const callbacks = [
      await browser.untilCallback(tabs[0], 'dave'),
      await browser.untilCallback(tabs[1], 'dave'),
    ];

    const first = await browser.request(callbacks[order[0]]);
    const second = await browser.request(callbacks[order[1]]);

    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(`/tab-${order[0]}`);
    expect(second.status).toBe(302);
    expect(second.headers.get('location')).toBe(`/tab-${order[1]}`);
    expect(await info(browser)).toMatchObject({ authenticated: true, user: 'dave' });
  });

  it('leaves the newer tab pending when the older tab is refused; each state works once', async () => {
    const browser = new Browser(server);
    const older = await browser.untilCallback(await startLogin(browser), 'gina');
    const newer = await browser.untilCallback(await startLogin(browser), 'gina');
    const forged = new URL(older);
    forged.searchParams.set('code', 'forged');

    const refused = await browser.request(forged.toString());
    const completed = await browser.request(newer);
    const olderAfterUse = await browser.request(older);
    const newerReplayed = await browser.request(newer);

    await expectLoginFailed(refused);
    expect(completed.status).toBe(302);
    await expectLoginFailed(olderAfterUse);
    await expectLoginFailed(newerReplayed);
    expect(await info(browser)).toMatchObject({ authenticated: true, user: 'gina' });
  });

  it.each([
    ['no query at all', ''],
    ['an empty error', '?error='],
    ['a bare error key', '?error'],
    ['an empty error beside a code and state', '?error=&code=x&state=y'],
    ['a provider error', '?error=server_error&state=x'],
    ['a denied consent', '?error=access_denied&state=x'],
    ['an empty code', '?code=&state=x'],
    ['a state but no code', '?state=x'],
    ['a code but no state', '?code=x'],
    ['an empty state', '?code=x&state='],
    ['two codes', '?code=a&code=b&state=x'],
    ['a made-up code and state', '?code=forged&state=forged'],
  ])(
    'answers 401 JSON at the callback for %s, leaving a pending login intact',
    async (_case, query) => {
      const browser = new Browser(server);
      const pending = await browser.untilCallback(await startLogin(browser), 'hank');

      const bogus = await browser.request(`${server.baseUrl}/api/auth/callback${query}`);
      const completed = await browser.request(pending);

      await expectLoginFailed(bogus);
      expect(completed.status).toBe(302);
      expect(await info(browser)).toMatchObject({ authenticated: true, user: 'hank' });
    },
  );

  it('answers 401 JSON at a callback in a browser that never started a login', async () => {
    const response = await new Browser(server).request(
      `${server.baseUrl}/api/auth/callback?error=`,
    );

    await expectLoginFailed(response);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    ['an absolute URL', 'https://evil.example/'],
    ['a scheme-relative URL', '//evil.example/'],
    ['a backslash trick', '/\\evil.example/'],
    ['a dot segment before a double slash', '/..//evil.example/'],
    ['an encoded dot segment', '/%2e%2e//evil.example/'],
  ])('ends the login at / when return_to is %s', async (_case, returnTo) => {
    const browser = new Browser(server);
    const authorize = await startLogin(
      browser,
      `/api/auth/login?return_to=${encodeURIComponent(returnTo)}`,
    );
    const callback = await browser.untilCallback(authorize, 'erin');

    const done = await browser.request(callback);

    expect(done.headers.get('location')).toBe('/');
  });

  it('sets no session cookie on routes outside a login', async () => {
    const response = await fetch(`${server.baseUrl}/api/auth/info`);

    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.json()).toEqual({ authenticated: false });
  });

  it('opens a same-origin WebSocket with the session cookie, and not without', async () => {
    const browser = new Browser(server);
    const callback = await browser.untilCallback(await startLogin(browser), 'frank');
    expect((await browser.request(callback)).status).toBe(302);

    const withCookie = await upgrade(browser.cookieHeaderFor(server.baseUrl));
    const withoutCookie = await upgrade('');
    const forgedCookie = await upgrade('ferro.sid=s%3Aforged.signature');

    expect(withCookie).toBe(101);
    expect(withoutCookie).toBe(401);
    expect(forgedCookie).toBe(401);
  });

  it('refuses a cookie-authenticated upgrade from a foreign or missing Origin (CSWSH)', async () => {
    const browser = new Browser(server);
    const callback = await browser.untilCallback(await startLogin(browser), 'mallory');
    expect((await browser.request(callback)).status).toBe(302);
    const cookie = browser.cookieHeaderFor(server.baseUrl);

    const foreign = await upgrade(cookie, 'https://evil.example');
    const missing = await upgrade(cookie, null);

    expect([foreign, missing]).toEqual([403, 403]);
  });

  /** The status the upgrade got: 101 when it opened. */
  async function upgrade(cookie: string, origin: string | null = server.baseUrl): Promise<number> {
    const headers: Record<string, string> = origin === null ? {} : { origin };
    if (cookie) headers.cookie = cookie;
    const socket = new WebSocket(server.wsUrl, { headers });
    const timeout = AbortSignal.timeout(5_000);
    try {
      return await Promise.race([
        once(socket, 'open', { signal: timeout }).then(() => 101),
        once(socket, 'unexpected-response', { signal: timeout }).then(
          ([, res]) => (res as { statusCode: number }).statusCode,
        ),
      ]);
    } catch (error) {
      throw new Error(`WebSocket upgrade neither opened nor was refused: ${String(error)}`);
    } finally {
      socket.terminate();
    }
  }
});

describe('OIDC browser login with the provider down', () => {
  it('answers 503 JSON at login and keeps the server up', async () => {
    const provider = await startOidcProvider({ redirectUris: [CALLBACK] });
    const issuer = provider.issuer;
    await provider.close();
    const server = await startServer({
      oidc: { issuer, clientId: 'ferro-test', clientSecret: 's', audience: 'ferro-test' },
    });

    try {
      const response = await fetch(`${server.baseUrl}/api/auth/login`, { redirect: 'manual' });

      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error_code: 'oidc_unavailable' });
    } finally {
      await server.close();
    }
  });
});

describe('OIDC browser login not configured', () => {
  it('answers 404 JSON oidc_disabled', async () => {
    const server = await startServer();

    try {
      const response = await fetch(`${server.baseUrl}/api/auth/login`, { redirect: 'manual' });

      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error_code: 'oidc_disabled' });
    } finally {
      await server.close();
    }
  });
});
