import type { Statement } from 'better-sqlite3';

import type { FerroDatabase } from '../database/ferro-database.js';
import type { OpLog } from '../sync/op-log.js';
import { IntentJournal } from './intent-journal.js';
import type { FileIntent, RecordedIntent } from './intent-journal.js';

type IntentKind = FileIntent['kind'];

interface IntentRow {
  id: number;
  kind: IntentKind;
  path: string;
  to_path: string | null;
  owner: string;
  staged: string | null;
  size: number | null;
  created: number | null;
  clock: number;
}

type NewIntentRow = Omit<IntentRow, 'id'>;

/**
 * The intent journal in the `intents` table of the database that holds the
 * op log. Each `record` is a committed insert, made durable the same way as
 * an op (see `FerroDatabase`) before the file service touches storage.
 */
export class SqliteIntentJournal extends IntentJournal {
  private readonly insert: Statement<[NewIntentRow]>;
  private readonly remove: Statement<[number]>;
  private readonly selectAll: Statement<[], IntentRow>;

  constructor(
    database: FerroDatabase,
    /** Whose clock each intent records. */
    private readonly log: OpLog,
  ) {
    super();
    const db = database.handle;
    this.insert = db.prepare<[NewIntentRow]>(
      `INSERT INTO intents (kind, path, to_path, owner, staged, size, created, clock)
       VALUES (@kind, @path, @to_path, @owner, @staged, @size, @created, @clock)`,
    );
    this.remove = db.prepare<[number]>('DELETE FROM intents WHERE id = ?');
    this.selectAll = db.prepare<[], IntentRow>(
      'SELECT id, kind, path, to_path, owner, staged, size, created, clock FROM intents ORDER BY id',
    );
  }

  protected loggedClock(): number {
    return this.log.currentClock;
  }

  record(intent: FileIntent): number {
    const row = { ...rowOf(intent), clock: this.log.currentClock };
    return Number(this.insert.run(row).lastInsertRowid);
  }

  clear(id: number): void {
    this.remove.run(id);
  }

  pending(): RecordedIntent[] {
    return this.selectAll.all().map(intentOf);
  }
}

function rowOf(intent: FileIntent): Omit<NewIntentRow, 'clock'> {
  const none = { to_path: null, staged: null, size: null, created: null };
  switch (intent.kind) {
    case 'upload':
      return {
        ...none,
        kind: intent.kind,
        path: intent.path,
        owner: intent.owner,
        staged: intent.staged ?? null,
        size: intent.size,
        created: intent.created ? 1 : 0,
      };
    case 'delete':
      return { ...none, kind: intent.kind, path: intent.path, owner: intent.owner };
    case 'move':
      return {
        ...none,
        kind: intent.kind,
        path: intent.from,
        to_path: intent.to,
        owner: intent.owner,
      };
  }
}

function intentOf(row: IntentRow): RecordedIntent {
  const { id, clock, owner, path } = row;
  switch (row.kind) {
    case 'upload':
      return {
        id,
        clock,
        kind: 'upload',
        path,
        owner,
        ...(row.staged === null ? {} : { staged: row.staged }),
        size: row.size ?? 0,
        created: row.created === 1,
      };
    case 'delete':
      return { id, clock, kind: 'delete', path, owner };
    case 'move':
      return { id, clock, kind: 'move', from: path, to: row.to_path ?? path, owner };
  }
}
