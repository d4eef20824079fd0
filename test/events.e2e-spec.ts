import { existsSync } from 'node:fs';
import { join } from 'node:path';

import request from 'supertest';

import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';
import { connect } from './support/ws-client.js';
import type { TestSocket } from './support/ws-client.js';

/**
 * Each of the spec's seven event types, caused by a real operation through
 * the HTTP routes and received by a real `ws` client, compared as exact
 * JSON: no missing field, no extra one.
 */
describe('events on /api/ws', () => {
  let server: TestServer;
  let socket: TestSocket;

  beforeEach(async () => {
    server = await startServer();
    socket = await connect(server.wsUrl);
  });

  afterEach(async () => {
    await socket.close();
    await server.close();
  });

  const put = (path: string, body: string) =>
    request(server.baseUrl).put(`/api/files${path}`).send(body);

  it('file_created, then its sync_op, for a new file', async () => {
    await put('/documents/report.pdf', 'x'.repeat(12345)).expect(201);

    expect(await socket.take(2)).toEqual([
      { type: 'file_created', path: '/documents/report.pdf', size: 12345, owner: 'anonymous' },
      { type: 'sync_op', clock: 1, op_type: 'create', path: '/documents/report.pdf' },
    ]);
  });

  it('file_updated for an overwrite, never a second file_created', async () => {
    await put('/documents/report.pdf', 'old').expect(201);
    await socket.take(2);

    await put('/documents/report.pdf', 'y'.repeat(15000)).expect(200);

    expect(await socket.take(2)).toEqual([
      { type: 'file_updated', path: '/documents/report.pdf', size: 15000, owner: 'anonymous' },
      { type: 'sync_op', clock: 2, op_type: 'update', path: '/documents/report.pdf' },
    ]);
  });

  it('file_deleted for a file', async () => {
    await put('/documents/old-file.txt', 'bye').expect(201);
    await socket.take(2);

    await request(server.baseUrl).delete('/api/files/documents/old-file.txt').expect(204);

    expect(await socket.take(2)).toEqual([
      { type: 'file_deleted', path: '/documents/old-file.txt', owner: 'anonymous' },
      { type: 'sync_op', clock: 2, op_type: 'delete', path: '/documents/old-file.txt' },
    ]);
  });

  it('file_moved for a move, with the target as the sync_op path', async () => {
    await put('/documents/report.pdf', 'pdf').expect(201);
    await socket.take(2);

    await request(server.baseUrl)
      .post('/api/files/move')
      .send({ from: '/documents/report.pdf', to: '/archive/report.pdf' })
      .expect(200);

    expect(await socket.take(2)).toEqual([
      {
        type: 'file_moved',
        from: '/documents/report.pdf',
        to: '/archive/report.pdf',
        owner: 'anonymous',
      },
      { type: 'sync_op', clock: 2, op_type: 'move', path: '/archive/report.pdf' },
    ]);
  });

  it('file_shared with the token the share route returned', async () => {
    await put('/documents/report.pdf', 'pdf').expect(201);
    await socket.take(2);

    const { body } = await request(server.baseUrl)
      .post('/api/shares')
      .send({ path: '/documents/report.pdf' })
      .expect(201);

    expect(await socket.take(2)).toEqual([
      { type: 'file_shared', path: '/documents/report.pdf', token: body.token, owner: 'anonymous' },
      { type: 'sync_op', clock: 2, op_type: 'share', path: '/documents/report.pdf' },
    ]);
  });

  it('one file_moved and one file_deleted for a folder, and nothing for a failed move', async () => {
    for (const name of ['a', 'b', 'c']) {
      await put(`/photos/${name}.jpg`, name).expect(201);
    }
    await put('/taken/x.txt', 'x').expect(201);
    await socket.take(8);

    await request(server.baseUrl)
      .post('/api/files/move')
      .send({ from: '/photos', to: '/taken' })
      .expect(409);
    await request(server.baseUrl)
      .post('/api/files/move')
      .send({ from: '/photos', to: '/albums/2026' })
      .expect(200);
    await request(server.baseUrl).delete('/api/files/albums').expect(204);

    const types = (await socket.take(4)).map((m) => [m.type, m.path ?? m.to]);
    expect(types).toEqual([
      ['file_moved', '/albums/2026'],
      ['sync_op', '/albums/2026'],
      ['file_deleted', '/albums'],
      ['sync_op', '/albums'],
    ]);
    await socket.expectSilence();
    expect(existsSync(join(server.dataDir, 'files', 'albums'))).toBe(false);
  });

  it('storage_health false when the storage root breaks, true after repair', async () => {
    await socket.close();
    await server.close();
    server = await startServer({ healthIntervalMs: 50 });
    socket = await connect(server.wsUrl);
    const root = join(server.dataDir, 'files');
    const { rm, writeFile, mkdir } = await import('node:fs/promises');

    await rm(root, { recursive: true });
    await writeFile(root, 'not a folder');

    expect(await socket.next()).toEqual({
      type: 'storage_health',
      healthy: false,
      backend: 'local',
    });
    await request(server.baseUrl).get('/readyz').expect(503);

    await rm(root);
    await mkdir(root);

    expect(await socket.next()).toEqual({
      type: 'storage_health',
      healthy: true,
      backend: 'local',
    });
    await request(server.baseUrl).get('/readyz').expect(200);
  });

  it('sends every client the same events in the same order', async () => {
    const second = await connect(server.wsUrl);

    await put('/one.txt', '1').expect(201);
    await put('/two.txt', '22').expect(201);

    const [mine, theirs] = await Promise.all([socket.take(4), second.take(4)]);
    expect(theirs).toEqual(mine);
    expect(mine.filter((m) => m.type === 'sync_op').map((m) => m.clock)).toEqual([1, 2]);
    await second.close();
  });
});
