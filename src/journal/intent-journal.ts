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
   * Records `intent`, makes the `change` on storage, then `announce`s it
   * (the event whose listener appends the op). A change that fails leaves
   * storage as it was, so the intent is forgotten. An announce that fails
   * (the log could not append: a full disk) leaves a change without its
   * op, so the intent is kept and the next start appends the op; the error
   * still goes back to the caller.
   */
  async run(intent: FileIntent, change: () => Promise<void>, announce: () => void): Promise<void> {
    const id = this.record(intent);
    try {
      await change();
    } catch (error) {
      this.forget(id);
      throw error;
    }

    announce();
    this.forget(id);
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

/**
 * For storage that does not outlive the process (memory): its files and
 * its op log vanish together, so there is nothing to settle at a start.
 */
export class NoIntentJournal extends IntentJournal {
  record(): number {
    return 0;
  }

  clear(): void {}

  pending(): RecordedIntent[] {
    return [];
  }
}
