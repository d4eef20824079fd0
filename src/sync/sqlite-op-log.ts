import type { OnApplicationShutdown } from '@nestjs/common';
import type { Database, Statement, Transaction } from 'better-sqlite3';

import { FerroDatabase } from '../database/ferro-database.js';
import type { OpType, SyncOp } from '../events/ferro-events.js';
import { OpLog } from './op-log.js';
import type { NewSyncOp } from './op-log.js';

interface OpRow {
  clock: number;
  op_type: OpType;
  path: string;
  owner: string;
  timestamp: string;
  from_path: string | null;
  size: number | null;
  token: string | null;
}

interface Bounds {
  oldest: number | null;
  newest: number | null;
}

/**
 * The op log in the SQLite database under the data dir, so clocks and ops
 * survive a restart and the epoch changes only when the database file is
 * replaced. Every `append` is committed before it returns, hence before the
 * sync service announces the op.
 *
 * The clock is the table's integer primary key, so `since` is a range scan
 * of the key: it costs what it returns, however many ops the log holds.
 * Retention keeps the newest `maxOps` ops and never fewer than one, so the
 * newest row always holds the last clock handed out and a restart continues
 * from it; no separate counter is needed, and no clock is ever repeated.
 */
export class SqliteOpLog extends OpLog implements OnApplicationShutdown {
  readonly epoch: string;
  private clock: number;
  private oldest: number;
  private readonly select: Statement<[number, number], OpRow>;
  /** Inserts the op and drops every op up to the given clock, in one transaction. */
  private readonly store: Transaction<(row: OpRow, dropUpTo: number) => void>;

  private constructor(
    /** The database the log lives in; the intent journal shares it. */
    readonly database: FerroDatabase,
    private readonly maxOps: number,
  ) {
    super();
    const db = database.handle;
    this.epoch = database.epoch;
    this.select = db.prepare<[number, number], OpRow>(
      `SELECT clock, op_type, path, owner, timestamp, from_path, size, token
       FROM ops WHERE clock > ? ORDER BY clock LIMIT ?`,
    );
    this.store = this.prepareStore(db);

    const { oldest, newest } = boundsOf(db);
    this.clock = newest ?? 0;
    this.oldest = oldest ?? this.clock + 1;
  }

  /**
   * Opens the log in `<dataDir>/ferro.db`, creating both when missing.
   *
   * @throws FerroDatabaseError naming the file, when it cannot be used
   */
  static open(dataDir: string, maxOps: number): SqliteOpLog {
    if (!Number.isSafeInteger(maxOps) || maxOps < 1) {
      throw new TypeError(`maxOps must be a positive integer, got ${maxOps}`);
    }

    return new SqliteOpLog(FerroDatabase.open(dataDir), maxOps);
  }

  get currentClock(): number {
    return this.clock;
  }

  get oldestClock(): number {
    return this.oldest;
  }

  append(op: NewSyncOp): SyncOp {
    const entry: SyncOp = Object.freeze({ clock: this.clock + 1, ...op });
    const oldest = Math.max(this.oldest, entry.clock - this.maxOps + 1);
    this.store(rowOf(entry), oldest - 1);
    this.clock = entry.clock;
    this.oldest = oldest;
    return entry;
  }

  since(clock: number, limit: number): SyncOp[] {
    // SQLite reads a negative LIMIT as "no limit".
    if (limit < 1) {
      return [];
    }

    return this.select.all(clock, limit).map(opOf);
  }

  /** Closes the database; the log cannot be used afterwards. */
  close(): void {
    this.database.close();
  }

  /**
   * Runs after the HTTP server and the gateway have stopped, so no request
   * can still be appending.
   */
  onApplicationShutdown(): void {
    this.close();
  }

  private prepareStore(db: Database): SqliteOpLog['store'] {
    const insert = db.prepare<[OpRow]>(
      `INSERT INTO ops (clock, op_type, path, owner, timestamp, from_path, size, token)
       VALUES (@clock, @op_type, @path, @owner, @timestamp, @from_path, @size, @token)`,
    );
    const drop = db.prepare<[number]>('DELETE FROM ops WHERE clock <= ?');
    return db.transaction((row: OpRow, dropUpTo: number) => {
      insert.run(row);
      // Only a full log drops anything; the check spares an empty delete per append.
      if (dropUpTo >= this.oldest) {
        drop.run(dropUpTo);
      }
    });
  }
}

/**
 * Two subqueries, because SQLite answers a lone min() or max() from the
 * key but scans the whole table for both in one select.
 */
function boundsOf(db: Database): Bounds {
  return db
    .prepare<[], Bounds>(
      'SELECT (SELECT min(clock) FROM ops) AS oldest, (SELECT max(clock) FROM ops) AS newest',
    )
    .get()!;
}

function rowOf(op: SyncOp): OpRow {
  return {
    clock: op.clock,
    op_type: op.op_type,
    path: op.path,
    owner: op.owner,
    timestamp: op.timestamp,
    from_path: op.from ?? null,
    size: op.size ?? null,
    token: op.token ?? null,
  };
}

/** The op as the memory log holds it: optional fields only when they have a value. */
function opOf(row: OpRow): SyncOp {
  return {
    clock: row.clock,
    op_type: row.op_type,
    path: row.path,
    ...(row.from_path === null ? {} : { from: row.from_path }),
    ...(row.size === null ? {} : { size: row.size }),
    ...(row.token === null ? {} : { token: row.token }),
    owner: row.owner,
    timestamp: row.timestamp,
  };
}
