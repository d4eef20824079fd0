import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { DATABASE_FILE, FerroDatabaseError } from '../database/ferro-database.js';
import type { SyncOp } from '../events/ferro-events.js';
import { MemoryOpLog } from './op-log.js';
import type { NewSyncOp } from './op-log.js';
import { SqliteOpLog } from './sqlite-op-log.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function newOp(path = '/a.txt'): NewSyncOp {
  return {
    op_type: 'create',
    path,
    size: 1,
    owner: 'admin',
    timestamp: '2030-01-01T00:00:00.000Z',
  };
}

/** One op of every type, each with exactly the optional field it carries. */
const EVERY_KIND: NewSyncOp[] = [
  { ...newOp('/new.txt'), size: 0 },
  { op_type: 'update', path: '/new.txt', size: 12, owner: 'ann', timestamp: 'T1' },
  { op_type: 'move', path: '/b.txt', from: '/new.txt', owner: 'ann', timestamp: 'T2' },
  { op_type: 'share', path: '/b.txt', token: 'tok', owner: 'bob', timestamp: 'T3' },
  { op_type: 'delete', path: '/b.txt', owner: 'bob', timestamp: 'T4' },
];

function fill(sut: SqliteOpLog, count: number): void {
  for (let i = 1; i <= count; i += 1) {
    sut.append(newOp(`/f${i}`));
  }
}

function clocksOf(ops: SyncOp[]): number[] {
  return ops.map((op) => op.clock);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('SqliteOpLog', () => {
  let dataDir: string;
  let file: string;
  const opened: SqliteOpLog[] = [];

  function open(maxOps = 100): SqliteOpLog {
    const log = SqliteOpLog.open(dataDir, maxOps);
    opened.push(log);
    return log;
  }

  /** Closes `log` and opens the same file again, as a restart does. */
  function reopen(log: SqliteOpLog, maxOps = 100): SqliteOpLog {
    log.close();
    return open(maxOps);
  }

  beforeEach(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'ferro-oplog-')), 'data');
    file = join(dataDir, DATABASE_FILE);
  });

  afterEach(async () => {
    for (const log of opened.splice(0)) {
      log.close();
    }
    await rm(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('creates the data dir and an empty log at clock 0 with a random epoch', () => {
    const sut = open();

    expect(sut.currentClock).toBe(0);
    expect(sut.oldestClock).toBe(1);
    expect(sut.since(0, 10)).toEqual([]);
    expect(sut.epoch).toMatch(UUID);
  });

  it('gives the ops clocks 1 to n, one apart, and returns them frozen', () => {
    const sut = open();

    const appended = EVERY_KIND.map((op) => sut.append(op));

    expect(clocksOf(appended)).toEqual([1, 2, 3, 4, 5]);
    expect(appended.every((op) => Object.isFrozen(op))).toBe(true);
    expect(sut.currentClock).toBe(5);
  });

  it('reads back each op exactly as the memory log holds it, with no null fields', () => {
    const sut = open();
    const memory = new MemoryOpLog(100);
    for (const op of EVERY_KIND) {
      sut.append(op);
      memory.append(op);
    }

    const ops = reopen(sut).since(0, 10);

    expect(JSON.stringify(ops)).toBe(JSON.stringify(memory.since(0, 10)));
  });

  it('continues the clock and keeps the ops and the epoch across a restart', () => {
    const first = open();
    fill(first, 3);
    const { epoch } = first;

    const sut = reopen(first);
    const next = sut.append(newOp('/after'));

    expect(sut.epoch).toBe(epoch);
    expect(next.clock).toBe(4);
    expect(clocksOf(sut.since(0, 10))).toEqual([1, 2, 3, 4]);
  });

  it('drops the oldest ops first once it holds maxOps, and oldestClock follows', () => {
    const sut = open(3);

    fill(sut, 5);

    expect(sut.oldestClock).toBe(3);
    expect(clocksOf(sut.since(0, 10))).toEqual([3, 4, 5]);
    expect(reopen(sut, 3).oldestClock).toBe(3);
  });

  it('applies a lowered maxOps at the next append, keeping the clock', () => {
    const first = open(10);
    fill(first, 6);

    const sut = reopen(first, 2);
    sut.append(newOp('/seventh'));

    expect(sut.oldestClock).toBe(6);
    expect(clocksOf(sut.since(0, 10))).toEqual([6, 7]);
  });

  it('never repeats a clock, even when it keeps a single op', () => {
    const first = open(1);
    fill(first, 4);

    const sut = reopen(first, 1);
    const next = sut.append(newOp('/fifth'));

    expect(next.clock).toBe(5);
    expect(clocksOf(sut.since(0, 10))).toEqual([5]);
  });

  it('starts a new log under a new epoch when its file is deleted', async () => {
    const first = open();
    fill(first, 3);
    first.close();
    await rm(dataDir, { recursive: true });

    const sut = open();

    expect(sut.epoch).not.toBe(first.epoch);
    expect(sut.currentClock).toBe(0);
    expect(sut.append(newOp()).clock).toBe(1);
  });

  it.each([
    { since: 0, limit: 2, clocks: [1, 2] },
    { since: 2, limit: 2, clocks: [3, 4] },
    { since: 4, limit: 10, clocks: [5] },
    { since: 5, limit: 10, clocks: [] },
    { since: 9, limit: 10, clocks: [] },
    { since: 1, limit: 0, clocks: [] },
    { since: 1, limit: -1, clocks: [] },
  ])('returns at most $limit ops after $since in clock order', ({ since, limit, clocks }) => {
    const sut = open();
    fill(sut, 5);

    expect(clocksOf(sut.since(since, limit))).toEqual(clocks);
  });

  it('pages through every op held, from the oldest when the cursor is older', () => {
    const sut = open(50);
    fill(sut, 120);
    const pages: number[][] = [];

    for (let ops = sut.since(3, 20); ops.length > 0; ops = sut.since(ops.at(-1)!.clock, 20)) {
      pages.push(clocksOf(ops));
    }

    expect(pages.map((page) => page.length)).toEqual([20, 20, 10]);
    expect(pages.flat()).toEqual(range(71, 120));
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxOps %s before touching the disk', (maxOps) => {
    expect(() => SqliteOpLog.open(dataDir, maxOps)).toThrow(TypeError);
  });

  describe('a file it must not use', () => {
    /** Opening must fail with the file named, and leave its bytes as they were. */
    async function expectRefused(reason: RegExp): Promise<void> {
      const before = await readFile(file);

      const error = thrown(() => open());

      expect(error).toBeInstanceOf(FerroDatabaseError);
      expect(error.message).toContain(file);
      expect(error.message).toMatch(reason);
      expect(await readFile(file)).toEqual(before);
    }

    it('refuses a file that is not SQLite at all', async () => {
      open().close();
      await writeFile(file, 'my notes, not a database\n'.repeat(100));

      await expectRefused(/not a SQLite database, or it is damaged/);
    });

    it('refuses the SQLite database of another application', async () => {
      open().close();
      await rm(file);
      withRawDatabase((db) => db.exec('CREATE TABLE notes (text TEXT)'));

      await expectRefused(/not a Ferro database/);
    });

    it('refuses a WAL database of another application without folding in its -wal', async () => {
      open().close();
      await rm(file);
      // Another application that was killed with its last writes only in its -wal file.
      const writer = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import Database from 'better-sqlite3';
           const db = new Database(${JSON.stringify(file)});
           db.pragma('journal_mode = WAL');
           db.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('kept in the wal')");
           process.kill(process.pid, 'SIGKILL');`,
        ],
        { cwd: process.cwd() },
      );
      expect(writer.signal).toBe('SIGKILL');
      const wal = await readFile(`${file}-wal`);
      expect(wal.length).toBeGreaterThan(0);

      await expectRefused(/not a Ferro database/);
      expect(await readFile(`${file}-wal`)).toEqual(wal);
    });

    it('refuses a Ferro database of a newer schema', async () => {
      open().close();
      withRawDatabase((db) => db.pragma('user_version = 2'));

      await expectRefused(/schema version is 2/);
    });

    it('refuses a Ferro database whose pages are damaged', async () => {
      const log = open();
      fill(log, 2000);
      log.close();
      const bytes = await readFile(file);
      // Page 1 (the header) stays intact; the pages after it are overwritten.
      bytes.fill(0xa5, 4096 * 2, 4096 * 6);
      await writeFile(file, bytes);

      await expectRefused(/damaged/);
    });
  });

  it('refuses to open a log that is open already, as by a second server on the data dir', () => {
    open();

    const error = thrown(() => SqliteOpLog.open(dataDir, 100));

    expect(error).toBeInstanceOf(FerroDatabaseError);
    expect(error.message).toMatch(/in use by another process/);
  });

  function withRawDatabase(change: (db: Database.Database) => void): void {
    const db = new Database(file);
    try {
      change(db);
    } finally {
      db.close();
    }
  }
});

function thrown(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}
