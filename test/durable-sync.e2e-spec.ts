import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import type { FerroRealtimeOptions } from '../src/ferro-realtime.options.js';
import { OpLog } from '../src/sync/op-log.js';
import type { SqliteOpLog } from '../src/sync/sqlite-op-log.js';
import { startServer } from './support/test-server.js';
import type { TestServer } from './support/test-server.js';

describe('sync log across restarts', () => {
  let dataDir: string;
  let server: TestServer | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ferro-durable-'));
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Stops the running server, if any, and starts one on the same data dir. */
  async function restart(options: Partial<FerroRealtimeOptions> = {}): Promise<TestServer> {
    await server?.close();
    server = await startServer({ dataDir, ...options });
    return server;
  }

  const http = () => request(server!.baseUrl);

  it('keeps the ops, the epoch and the clock of local storage in a database under the data dir', async () => {
    await restart();
    await http().put('/api/files/a.txt').send('a').expect(201);
    await http().post('/api/files/move').send({ from: '/a.txt', to: '/b.txt' }).expect(200);
    const before = await http().get('/api/sync/delta?since=0').expect(200);

    await restart();
    await http().put('/api/files/c.txt').send('c').expect(201);
    const after = await http().get('/api/sync/delta?since=0').expect(200);

    expect(existsSync(join(dataDir, 'ferro.db'))).toBe(true);
    expect(after.body.epoch).toBe(before.body.epoch);
    expect(after.body.ops.slice(0, 2)).toEqual(before.body.ops);
    expect(after.body.ops[2]).toMatchObject({ clock: 3, op_type: 'create', path: '/c.txt' });
  });

  it('answers a cursor of the old log with 410 once the database file was deleted', async () => {
    await restart();
    await http().put('/api/files/a.txt').send('a').expect(201);
    const { epoch } = (await http().get('/api/sync/delta').expect(200)).body;
    await server!.close();
    server = undefined;
    await rm(join(dataDir, 'ferro.db'));

    await restart();

    const answer = await http().get(`/api/sync/delta?since=1&epoch=${epoch}`).expect(410);
    expect(answer.body).toMatchObject({ error_code: 'cursor_unknown', current_clock: 0 });
  });

  it('clears uploads a crash cut while streaming before it serves requests', async () => {
    await restart();
    await server!.close();
    server = undefined;
    await writeFile(join(dataDir, '.staging', 'cut.upload'), 'half');

    await restart();

    expect(await readdir(join(dataDir, '.staging'))).toEqual([]);
  });

  it('refuses to start over a data dir whose ferro.db is not a Ferro database', async () => {
    await writeFile(join(dataDir, 'ferro.db'), 'not a database');

    await expect(restart()).rejects.toThrow(`${join(dataDir, 'ferro.db')}`);
  });

  it('answers an error when an op cannot be logged, and never replays that change later', async () => {
    await restart();
    await http().put('/api/files/a.txt').send('old').expect(201);
    const db = (server!.app.get(OpLog) as SqliteOpLog).database.handle;
    // A real refusal from SQLite on the ops table only, as a full disk would
    // refuse the append after the intent was recorded.
    db.exec(
      `CREATE TRIGGER refuse_ops BEFORE INSERT ON ops BEGIN SELECT RAISE(ABORT, 'no room'); END`,
    );

    const failed = await http().delete('/api/files/a.txt');
    db.exec('DROP TRIGGER refuse_ops');
    await http().put('/api/files/a.txt').send('new').expect(201);
    await restart();
    const log = await http().get('/api/sync/delta?since=0').expect(200);
    const file = await http().get('/api/files/a.txt').buffer(true).expect(200);

    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ error_code: 'sync_log_unavailable' });
    expect(log.body.ops.map((op: { op_type: string }) => op.op_type)).toEqual(['create', 'create']);
    expect(Buffer.from(file.body as Buffer).toString()).toBe('new');
  });

  it('keeps no database for memory storage, whose files vanish with the process', async () => {
    await restart({ storage: 'memory' });
    await http().put('/api/files/a.txt').send('a').expect(201);
    const { epoch } = (await http().get('/api/sync/delta').expect(200)).body;

    await restart({ storage: 'memory' });

    const after = await http().get('/api/sync/delta').expect(200);
    expect(after.body).toMatchObject({ current_clock: 0 });
    expect(after.body.epoch).not.toBe(epoch);
    expect(existsSync(join(dataDir, 'ferro.db'))).toBe(false);
  });
});
