import { HttpStatus } from '@nestjs/common';

import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';

/** A staged upload about to be renamed into place. */
export interface UploadIntent {
  kind: 'upload';
  path: string;
  owner: string;
  /** The staged file's name (`StagedFile.name`), when the backend gives one. */
  staged?: string;
  size: number;
  /** Nothing was stored at `path` before: the op is a create, not an update. */
  created: boolean;
}

export interface DeleteIntent {
  kind: 'delete';
  path: string;
  owner: string;
}

export interface MoveIntent {
  kind: 'move';
  from: string;
  to: string;
  owner: string;
}

/** A file change that is about to be made, with what its op will need. */
export type FileIntent = UploadIntent | DeleteIntent | MoveIntent;

/** An intent as the journal holds it. */
export type RecordedIntent = FileIntent & {
  id: number;
  /** The log's clock when the intent was recorded: its op, if appended, comes after. */
  clock: number;
};

/**
 * A write-ahead record of file changes, so that a change cut short by a
 * crash is settled at the next start (see `IntentRecovery`) instead of
 * leaving a file on disk that the op log never mentions.
 *
 * The file service records the intent before touching storage and clears
 * it once the op is in the log. While the process lives, an intent is
 * cleared whatever happens; only a crash leaves one behind.
 */
export abstract class IntentJournal {
  /** Durably records `intent` with the log's current clock; returns its id. */
  abstract record(intent: FileIntent): number;

  /** Forgets an intent: its op is in the log, or its change never happened. */
  abstract clear(id: number): void;

  /** Intents recorded and never cleared, oldest first. */
  abstract pending(): RecordedIntent[];

  /**
   * The log's clock, for telling whether an announce appended an op;
   * undefined where the journal cannot know.
   */
  protected abstract loggedClock(): number | undefined;

  /**
   * Records `intent`, makes the `change` on storage, then `announce`s it
   * (the event whose listener appends the op), and clears the intent
   * however that ends. A change that fails leaves storage as it was. An
   * announce after which the log's clock did not move means the op could
   * not be appended (a full disk; the listener logged why): the change
   * stands on storage without its op, and the caller is told so rather
   * than answered as if all went well. Its intent is not kept for
   * recovery: replayed at the next start, it would undo whatever later,
   * logged changes did to the same paths.
   */
  async run(intent: FileIntent, change: () => Promise<void>, announce: () => void): Promise<void> {
    const id = this.record(intent);
    try {
      await change();
      // Read right before the synchronous announce: only its own op can
      // move the clock in between.
      const before = this.loggedClock();
      announce();
      if (before !== undefined && this.loggedClock() === before) {
        throw opNotLogged();
      }
    } finally {
      this.forget(id);
    }
  }

  /**
   * Clears an intent whose outcome is settled. Failing to clear is not
   * worth failing the request for: the change is made and its op is
   * logged, and recovery drops an intent whose op it finds in the log.
   */
  private forget(id: number): void {
    try {
      this.clear(id);
    } catch {
      // Left for recovery, which finds the op and drops the intent.
    }
  }
}

function opNotLogged(): FerroError {
  return new FerroError(
    HttpStatus.SERVICE_UNAVAILABLE,
    ErrorCode.SyncLogUnavailable,
    'The change was made, but the sync log could not record it; clients were not told',
  );
}

/**
 * For storage that does not outlive the process (memory): its files and
 * its op log vanish together, so there is nothing to settle at a start.
 */
export class NoIntentJournal extends IntentJournal {
  protected loggedClock(): undefined {
    return undefined;
  }

  record(): number {
    return 0;
  }

  clear(): void {}

  pending(): RecordedIntent[] {
    return [];
  }
}
