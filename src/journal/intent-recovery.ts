import { Logger } from '@nestjs/common';

import { FerroError } from '../common/ferro.error.js';
import type { OpType, SyncOp } from '../events/ferro-events.js';
import type { StorageBackend } from '../files/storage-backend.js';
import type { OpLog } from '../sync/op-log.js';
import type { NewSyncOp } from '../sync/op-log.js';
import type {
  DeleteIntent,
  FileIntent,
  IntentJournal,
  MoveIntent,
  RecordedIntent,
  UploadIntent,
} from './intent-journal.js';

/** Ops read per step while looking for an intent's op. */
const PAGE_SIZE = 256;

/**
 * Brings storage and the op log back into agreement after a crash, at
 * start and before the first request, so that an operation the crash cut
 * is in both or in neither.
 *
 * Every intent left in the journal is rolled forward: recording it is the
 * point of no return, as a commit record is in a database. Its op may
 * already be in the log (the crash came after the append); otherwise the
 * storage change is finished where it is not done yet, and the op appended
 * through the log like any other, so clocks stay contiguous. Rolling back
 * is not always possible (an overwritten or deleted file is gone), and one
 * rule for every kind is easier to trust than a rule per kind.
 *
 * An intent that storage no longer fits (the disk was changed by hand
 * while the server was down) is dropped with a warning and no op.
 */
export class IntentRecovery {
  private readonly logger = new Logger(IntentRecovery.name);

  constructor(
    private readonly journal: IntentJournal,
    private readonly storage: StorageBackend,
    private readonly log: OpLog,
  ) {}

  /** Settles every pending intent, then empties staging. */
  async run(): Promise<void> {
    for (const intent of this.journal.pending()) {
      if (!this.isLogged(intent)) {
        await this.settle(intent);
      }
      this.journal.clear(intent.id);
    }

    // Only now: an upload's staged file is what tells a cut rename apart
    // from a finished one.
    await this.storage.clearStaging();
  }

  private async settle(intent: RecordedIntent): Promise<void> {
    const op = await this.finish(intent).catch((error: unknown) => this.refused(intent, error));
    if (!op) {
      return;
    }

    const entry = this.log.append(op);
    this.logger.log(
      `finished an interrupted ${intent.kind} of ${entry.path} at clock ${entry.clock}`,
    );
  }

  /**
   * An expected refusal means the change cannot happen now, as it would
   * have failed before the crash: the intent goes, without an op. Anything
   * else stops the start, and the intent waits for the next one.
   */
  private refused(intent: RecordedIntent, error: unknown): undefined {
    if (!(error instanceof FerroError)) {
      throw error;
    }

    this.logger.warn(`dropped an interrupted ${intent.kind}: ${error.message}`);
    return undefined;
  }

  /** Finishes the storage change if needed; the op to append, if any. */
  private async finish(intent: RecordedIntent): Promise<NewSyncOp | undefined> {
    switch (intent.kind) {
      case 'upload':
        return this.finishUpload(intent);
      case 'delete':
        return this.finishDelete(intent);
      case 'move':
        return this.finishMove(intent);
    }
  }

  /**
   * The staged file is still there exactly when its rename did not happen.
   * A backend that cannot find staged files again is taken to have renamed
   * it whenever a file is at the path.
   */
  private async finishUpload(intent: UploadIntent): Promise<NewSyncOp | undefined> {
    const staged =
      intent.staged === undefined ? undefined : await this.storage.findStaged(intent.staged);
    if (staged) {
      await this.storage.commit(staged, intent.path);
      return newOp(writtenType(intent), intent.path, intent.owner, { size: staged.size });
    }

    if ((await this.storage.stat(intent.path))?.type !== 'file') {
      return this.unfit(intent, `no file is at ${intent.path}`);
    }

    return newOp(writtenType(intent), intent.path, intent.owner, { size: intent.size });
  }

  /** A folder's delete may have been cut halfway; `remove` takes what is left. */
  private async finishDelete(intent: DeleteIntent): Promise<NewSyncOp> {
    if (await this.storage.stat(intent.path)) {
      await this.storage.remove(intent.path);
    }

    return newOp('delete', intent.path, intent.owner, {});
  }

  /** Moved when only the target exists; still to move when only the source does. */
  private async finishMove(intent: MoveIntent): Promise<NewSyncOp | undefined> {
    const [source, target] = await Promise.all([
      this.storage.stat(intent.from),
      this.storage.stat(intent.to),
    ]);
    if (source && target) {
      return this.unfit(intent, `both ${intent.from} and ${intent.to} exist`);
    }

    if (!source && !target) {
      return this.unfit(intent, `neither ${intent.from} nor ${intent.to} exists`);
    }

    if (source) {
      await this.storage.move(intent.from, intent.to);
    }
    return newOp('move', intent.to, intent.owner, { from: intent.from });
  }

  private unfit(intent: FileIntent, reason: string): undefined {
    this.logger.warn(`dropped an interrupted ${intent.kind} without an op: ${reason}`);
    return undefined;
  }

  /** Whether the op of `intent` was appended after the intent was recorded. */
  private isLogged(intent: RecordedIntent): boolean {
    for (let after = intent.clock; ;) {
      const ops = this.log.since(after, PAGE_SIZE);
      if (ops.length === 0) {
        return false;
      }

      if (ops.some((op) => matches(op, intent))) {
        return true;
      }
      after = ops[ops.length - 1].clock;
    }
  }
}

function matches(op: SyncOp, intent: RecordedIntent): boolean {
  switch (intent.kind) {
    case 'upload':
      return op.op_type === writtenType(intent) && op.path === intent.path;
    case 'delete':
      return op.op_type === 'delete' && op.path === intent.path;
    case 'move':
      return op.op_type === 'move' && op.path === intent.to && op.from === intent.from;
  }
}

function writtenType(intent: UploadIntent): OpType {
  return intent.created ? 'create' : 'update';
}

/** The op in the shape the sync service gives it. */
function newOp(
  opType: OpType,
  path: string,
  owner: string,
  fields: Pick<SyncOp, 'from' | 'size'>,
): NewSyncOp {
  return { op_type: opType, path, ...fields, owner, timestamp: new Date().toISOString() };
}
