import request from 'supertest';

import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { basicAuth, connect, expectRefused } from './support/ws-client.js';

const AUTH = { authorization: basicAuth('admin', 'secret') };

/** The value of one sample line, e.g. `ferro_ws_connections 2`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startServer({ simpleAuth: { user: 'admin', password: 'secret' } });
  });

  afterEach(() => server.close());

  const scrape = async (): Promise<string> =>
    (await request(server.baseUrl).get('/metrics').set(AUTH).expect(200)).text;

  it('needs the same credentials as /api', async () => {
    const res = await request(server.baseUrl).get('/metrics').expect(401);

    expect(res.body).toMatchObject({ error_code: 'unauthorized' });
  });

  it('counts connections, refusals, events and deliveries in Prometheus format', async () => {
    const sockets = await Promise.all([1, 2].map(() => connect(server.wsUrl, { headers: AUTH })));
    await expectRefused(server.wsUrl);
    await request(server.baseUrl).put('/api/files/m.txt').set(AUTH).send('m').expect(201);
    await Promise.all(sockets.map((socket) => socket.take(2)));

    const text = await scrape();

    expect(sample(text, 'ferro_ws_connections')).toBe(2);
    expect(sample(text, 'ferro_ws_refused_upgrades_total{reason="unauthorized"}')).toBe(1);
    expect(sample(text, 'ferro_events_broadcast_total{type="file_created"}')).toBe(1);
    expect(sample(text, 'ferro_events_broadcast_total{type="sync_op"}')).toBe(1);
    expect(sample(text, 'ferro_ws_messages_delivered_total')).toBe(4);
    expect(text).toContain('ferro_process_resident_memory_bytes');
    await Promise.all(sockets.map((socket) => socket.close()));
  });

  it('brings the connection gauge back to zero after churn (C03)', async () => {
    for (let round = 0; round < 5; round++) {
      const sockets = await Promise.all(
        Array.from({ length: 20 }, () => connect(server.wsUrl, { headers: AUTH })),
      );
      sockets.slice(0, 10).forEach((socket) => socket.ws.terminate());
      await Promise.all(sockets.slice(10).map((socket) => socket.close()));
      await Promise.all(sockets.map((socket) => socket.closed));
    }
    await waitFor(async () => sample(await scrape(), 'ferro_ws_connections') === 0);

    expect(sample(await scrape(), 'ferro_ws_connections')).toBe(0);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
