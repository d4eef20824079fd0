import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import Database from 'better-sqlite3';

/** Name of the database file inside the data dir. */
export const DATABASE_FILE = 'ferro.db';

/**
 * SQLite's header field for telling one application's files from another's
 * ("FERO" in ASCII), so a foreign database is refused rather than written.
 */
const APPLICATION_ID = 0x4645524f;

/** Kept in `PRAGMA user_version`; raise it with every change to `SCHEMA`. */
const SCHEMA_VERSION = 1;

const TABLES = ['intents', 'meta', 'ops'];

/**
 * How long an open waits for another process to let go of the file: long
 * enough for a previous server that is still closing, short enough that a
 * second server on the same data dir fails its start promptly.
 */
const LOCK_WAIT_MS = 2000;

/**
 * `ops` is the sync log, one row per clock. `intents` is the write-ahead
 * journal of file changes (see `SqliteIntentJournal`). STRICT, so a value of
 * the wrong type is an error instead of a quiet conversion.
 */
const SCHEMA = `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;
  CREATE TABLE ops (
    clock INTEGER PRIMARY KEY,
    op_type TEXT NOT NULL,
    path TEXT NOT NULL,
    owner TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    from_path TEXT,
    size INTEGER,
    token TEXT
  ) STRICT;
  CREATE TABLE intents (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    to_path TEXT,
    owner TEXT NOT NULL,
    staged TEXT,
    size INTEGER,
    created INTEGER,
    clock INTEGER NOT NULL
  ) STRICT;
`;

/** The database cannot be used; the message names the file and what is wrong. */
export class FerroDatabaseError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`Cannot use the Ferro database ${file}: ${reason}`, options);
    this.name = 'FerroDatabaseError';
  }
}

/**
 * The embedded SQLite database under the data dir that holds the sync log
 * and the intent journal. It is created with a random epoch, which is read
 * back on every later open; a file that is not a Ferro database, is damaged
 * or is in use by another process stops the start instead of being replaced.
 *
 * Pragmas, chosen for one writer process that must survive being killed:
 * - `journal_mode = WAL`: a commit is one append to the `-wal` file, with
 *   no rewrite of the database pages in place.
 * - `synchronous = NORMAL`: a commit reaches the OS before `append`
 *   returns, so it survives the process being killed (SIGKILL, OOM), but is
 *   fsynced only at checkpoints; a power loss can lose the last commits,
 *   never the database's consistency. FULL measured 12 to 15 times slower
 *   per commit (bench/delta.mjs) and still would not keep files and log
 *   together through a power loss: the file backend fsyncs neither the
 *   files nor their folders.
 * - `locking_mode = EXCLUSIVE`: the lock taken at open is held until
 *   `close`, so a second server on the same data dir cannot start and
 *   hand out the same clocks.
 */
export class FerroDatabase {
  private constructor(
    readonly handle: Database.Database,
    readonly file: string,
    /** Random id given to the database when it was created. */
    readonly epoch: string,
  ) {}

  /**
   * Opens `<dataDir>/ferro.db`, creating the folder and the database when
   * they do not exist yet.
   *
   * @throws FerroDatabaseError naming the file, when it cannot be used
   */
  static open(dataDir: string): FerroDatabase {
    mkdirSync(dataDir, { recursive: true });
    const file = join(resolve(dataDir), DATABASE_FILE);
    let handle: Database.Database | undefined;
    try {
      if (hasContent(file)) {
        inspect(file);
      }
      handle = new Database(file, { timeout: LOCK_WAIT_MS });
      return new FerroDatabase(handle, file, setUp(handle, file));
    } catch (error) {
      handle?.close();
      throw error instanceof FerroDatabaseError
        ? error
        : new FerroDatabaseError(file, reasonOf(error), { cause: error });
    }
  }

  /** Closes the file; later calls do nothing. */
  close(): void {
    if (this.handle.open) {
      this.handle.close();
    }
  }
}

function hasContent(file: string): boolean {
  return (statSync(file, { throwIfNoEntry: false })?.size ?? 0) > 0;
}

/**
 * Checks what an existing file is through a read-only connection, before
 * anything may write to it: even closing a read-write connection would
 * fold another application's `-wal` file into its database.
 */
function inspect(file: string): void {
  const probe = new Database(file, { readonly: true, fileMustExist: true, timeout: LOCK_WAIT_MS });
  try {
    if (!isBlank(probe)) {
      assertOurs(probe, file);
      assertIntact(probe, file);
    }
  } finally {
    probe.close();
  }
}

/**
 * Creates the schema in a new file (the existing ones were inspected
 * already) and returns the epoch.
 */
function setUp(handle: Database.Database, file: string): string {
  handle.pragma('locking_mode = EXCLUSIVE');
  handle.pragma('journal_mode = WAL');
  if (isBlank(handle)) {
    handle.transaction(() => create(handle))();
  }

  handle.pragma('synchronous = NORMAL');
  // Takes the write lock now rather than at the first append, so that a
  // second process fails at its start, not halfway through a request.
  handle.exec('BEGIN IMMEDIATE; COMMIT');
  return epochOf(handle, file);
}

/** A file SQLite just created, or one that a crash cut before its schema was committed. */
function isBlank(handle: Database.Database): boolean {
  const objects = handle.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
  return (
    objects === 0 &&
    handle.pragma('application_id', { simple: true }) === 0 &&
    handle.pragma('user_version', { simple: true }) === 0
  );
}

function create(handle: Database.Database): void {
  handle.exec(SCHEMA);
  handle.prepare(`INSERT INTO meta (key, value) VALUES ('epoch', ?)`).run(randomUUID());
  handle.pragma(`application_id = ${APPLICATION_ID}`);
  handle.pragma(`user_version = ${SCHEMA_VERSION}`);
}

function assertOurs(handle: Database.Database, file: string): void {
  if (handle.pragma('application_id', { simple: true }) !== APPLICATION_ID) {
    throw new FerroDatabaseError(
      file,
      'it is not a Ferro database; move it away or choose another data dir',
    );
  }

  const version = handle.pragma('user_version', { simple: true });
  if (version !== SCHEMA_VERSION) {
    throw new FerroDatabaseError(
      file,
      `its schema version is ${String(version)}, this server reads version ${SCHEMA_VERSION}`,
    );
  }
}

/** Checks every page, at a cost of about 10 ms for a full log of 100,000 ops. */
function assertIntact(handle: Database.Database, file: string): void {
  const check = handle.pragma('quick_check', { simple: true });
  if (check !== 'ok') {
    throw new FerroDatabaseError(file, `it is damaged (quick_check: ${String(check)})`);
  }

  const tables = handle
    .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
    .pluck()
    .all();
  if (tables.join() !== TABLES.join()) {
    throw new FerroDatabaseError(file, `it has the tables ${tables.join(', ')}`);
  }
}

function epochOf(handle: Database.Database, file: string): string {
  const epoch = handle.prepare(`SELECT value FROM meta WHERE key = 'epoch'`).pluck().get();
  if (typeof epoch !== 'string') {
    throw new FerroDatabaseError(file, 'it has no epoch');
  }

  return epoch;
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return 'it is not a SQLite database, or it is damaged';
  }

  if (code === 'SQLITE_BUSY') {
    return 'it is in use by another process (another server on the same data dir?)';
  }

  return error instanceof Error ? error.message : String(error);
}
