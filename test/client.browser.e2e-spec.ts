import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';

import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { basicAuth } from './support/ws-client.js';

/** The client as the package ships it; `npm test` builds it first. */
const CLIENT_DIR = resolve('dist/client');
const CHROMIUM = process.env.FERRO_CHROMIUM ?? '/usr/bin/chromium';
const USER = 'admin';
const PASSWORD = 'browser-test-password';

/** What the test page keeps on `window` for the test to read. */
interface PageState {
  clocks: number[];
  states: string[];
  errors: string[];
}

/**
 * The page a web app would have: the shipped client loaded as native ES
 * modules (no bundler), started with Basic credentials on its own origin.
 */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>FerroClient</title>
<script type="module">
  import { FerroClient } from './index.js';
  const state = { clocks: [], states: [], errors: [] };
  window.ferro = state;
  const client = new FerroClient({
    url: location.origin,
    auth: { type: 'basic', user: ${JSON.stringify(USER)}, password: ${JSON.stringify(PASSWORD)} },
    cursor: { clock: 0 },
    backoffBaseMs: 20,
    backoffCapMs: 200,
  });
  client.on('op', (op) => state.clocks.push(op.clock));
  client.on('state', (s) => state.states.push(s.state));
  client.on('error', (e) => state.errors.push(e.message));
  client.start();
</script>`;

/**
 * Serves the page and the client's modules at `/__test__/` on the
 * server's own origin, intercepted in the browser, so every `/api` request
 * and the WebSocket reach the real server same-origin.
 */
async function openPage(browser: Browser, server: TestServer): Promise<Page> {
  const page = await browser.newPage();
  await page.route(`${server.baseUrl}/__test__/**`, async (route) => {
    const name = new URL(route.request().url()).pathname.slice('/__test__/'.length);
    if (name === 'index.html') {
      await route.fulfill({ contentType: 'text/html', body: PAGE });
    } else if (/^[a-z.-]+\.js$/.test(name)) {
      const body = await readFile(resolve(CLIENT_DIR, name));
      await route.fulfill({ contentType: 'text/javascript', body });
    } else {
      await route.fulfill({ status: 404, body: '' });
    }
  });
  await page.goto(`${server.baseUrl}/__test__/index.html`);
  return page;
}

function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => (globalThis as unknown as { ferro: PageState }).ferro);
}

async function upload(server: TestServer, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    const res = await fetch(`${server.baseUrl}/api/files/browser/${i}.txt`, {
      method: 'PUT',
      headers: { Authorization: basicAuth(USER, PASSWORD) },
      body: `file ${i}`,
    });
    expect(res.status).toBe(201);
  }
}

describe('FerroClient in a real browser (Debian Chromium)', () => {
  let server: TestServer;
  let browser: Browser;
  /** Server-side ends of every upgraded socket, to cut them. */
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startServer({
      storage: 'memory',
      simpleAuth: { user: USER, password: PASSWORD },
    });
    server.app.getHttpServer().prependListener('upgrade', (_req, socket: Socket) => {
      sockets.push(socket);
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // A page fulfilled by interception has no network address, so
        // Chromium's Local Network Access checks would treat it as public
        // and block its WebSocket to loopback; a page really served from
        // the server's origin is not blocked.
        '--disable-features=LocalNetworkAccessChecks',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('gets every op once and in order, across a connection cut by the network', async () => {
    const page = await openPage(browser, server);
    await page.waitForFunction(() =>
      (globalThis as unknown as { ferro: PageState }).ferro.states.includes('open'),
    );

    await upload(server, 1, 5);
    await page.waitForFunction(
      () => (globalThis as unknown as { ferro: PageState }).ferro.clocks.length >= 5,
    );
    for (const socket of sockets.splice(0)) {
      socket.destroy();
    }
    await upload(server, 6, 10);
    await page.waitForFunction(
      () => (globalThis as unknown as { ferro: PageState }).ferro.clocks.length >= 10,
    );

    const state = await pageState(page);
    expect(state.clocks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(state.states.filter((s) => s === 'open').length).toBeGreaterThanOrEqual(2);
    expect(state.errors).toEqual([]);
    await page.close();
  });
});
