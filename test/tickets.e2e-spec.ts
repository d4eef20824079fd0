import request from 'supertest';

import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { basicAuth, connect, expectRefused } from './support/ws-client.js';

const GOOD = basicAuth('admin', 'secret');

describe('WebSocket tickets', () => {
  let server: TestServer;

  afterEach(() => server.close());

  it('opens the socket once with a ticket, then refuses the same ticket', async () => {
    server = await startServer({ simpleAuth: { user: 'admin', password: 'secret' } });
    const { body } = await request(server.baseUrl)
      .post('/api/ws/ticket')
      .set('authorization', GOOD)
      .expect(201);

    const socket = await connect(`${server.wsUrl}?ticket=${body.ticket}`);
    const replay = await expectRefused(`${server.wsUrl}?ticket=${body.ticket}`);

    expect(body).toEqual({ ticket: expect.stringMatching(/^[\w-]{43}$/), expires_in: 30 });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({
      error: 'Authentication required',
      error_code: 'unauthorized',
    });
    await request(server.baseUrl).put('/api/files/t.txt').set('authorization', GOOD).send('t');
    expect(await socket.next()).toMatchObject({ type: 'file_created', owner: 'admin' });
    await socket.close();
  });

  it('needs credentials to get a ticket, and refuses a made-up one', async () => {
    server = await startServer({ simpleAuth: { user: 'admin', password: 'secret' } });

    await request(server.baseUrl).post('/api/ws/ticket').expect(401);
    const refusal = await expectRefused(`${server.wsUrl}?ticket=made-up`);

    expect(refusal.status).toBe(401);
  });

  it('refuses a bad ticket even when the headers would pass', async () => {
    server = await startServer({ simpleAuth: { user: 'admin', password: 'secret' } });

    const refusal = await expectRefused(`${server.wsUrl}?ticket=made-up`, {
      headers: { authorization: GOOD },
    });

    expect(refusal.status).toBe(401);
  });

  it('works with auth off too', async () => {
    server = await startServer();
    const { body } = await request(server.baseUrl).post('/api/ws/ticket').expect(201);

    const socket = await connect(`${server.wsUrl}?ticket=${body.ticket}`);

    await socket.close();
  });
});
