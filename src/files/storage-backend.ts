import type { Readable } from 'node:stream';

/** What a stored entry is, as the listing and stat calls report it. */
export interface EntryInfo {
  /** Normalized absolute path, e.g. `/documents/report.pdf`. */
  path: string;
  name: string;
  type: 'file' | 'folder';
  /** Bytes for a file, 0 for a folder. */
  size: number;
  /** Last modification, ISO 8601. */
  modified: string;
}

/**
 * Content written to a private staging area, not yet visible at any path.
 * Uploads stream into a staged file outside any lock; only the final
 * `commit` (an atomic rename on disk) happens at the serialisation point.
 */
export interface StagedFile {
  readonly size: number;
  /**
   * Finds the staged file again after a restart (see `findStaged`); only
   * backends whose staging outlives the process give one.
   */
  readonly name?: string;
}

/**
 * Where file contents live. Paths given to a backend are already
 * normalized by `normalizePath` (absolute, `/`-separated, no `..`), so a
 * backend only maps them onto its medium.
 *
 * Every method throws `FerroError` for expected failures (missing file,
 * wrong type) and lets anything else propagate.
 */
export abstract class StorageBackend {
  /** Name reported in `storage_health` events, e.g. `local`. */
  abstract readonly kind: string;

  /**
   * Prepares the medium (creates the root folder). Called once at start;
   * what an earlier run left in staging stays there until `clearStaging`.
   */
  abstract init(): Promise<void>;

  /** Info of the entry at `path`, or undefined when nothing is there. */
  abstract stat(path: string): Promise<EntryInfo | undefined>;

  /**
   * Entries directly inside the folder at `path`, sorted by name; 404
   * `file_not_found` when absent, 400 `not_a_folder` for a file.
   */
  abstract list(path: string): Promise<EntryInfo[]>;

  /** A stream of the file's bytes; 404 `file_not_found`, 400 `not_a_file` for a folder. */
  abstract read(path: string): Promise<Readable>;

  /** Streams `body` into staging; rejects (and cleans up) when it fails. */
  abstract stage(body: Readable): Promise<StagedFile>;

  /**
   * Makes a staged file visible at `path`, replacing a file there and
   * creating missing parent folders. 409 `not_a_folder` when a parent is a
   * file, 409 `target_exists` when a folder is at `path`.
   */
  abstract commit(staged: StagedFile, path: string): Promise<void>;

  /** Throws away a staged file that will not be committed. */
  abstract discard(staged: StagedFile): Promise<void>;

  /**
   * Removes the file or folder (with everything in it) at `path`, so that
   * it disappears at once; 404 `file_not_found` when absent.
   */
  abstract remove(path: string): Promise<void>;

  /**
   * Renames `from` to `to`; the parent of `to` is created as needed and
   * nothing is ever replaced. 404 when `from` is absent, 409 `target_exists`
   * when something is at `to`, 409 `not_a_folder` when a parent of `to` is a
   * file, 400 `move_into_self` when `to` is `from` or inside it.
   */
  abstract move(from: string, to: string): Promise<void>;

  /** Resolves when the medium can be read and written; throws otherwise. */
  abstract probe(): Promise<void>;

  /**
   * The file an earlier run staged as `name`, if it is still in staging:
   * crash recovery commits it to finish an upload the crash cut short.
   * Backends whose staging dies with the process keep this default.
   */
  async findStaged(_name: string): Promise<StagedFile | undefined> {
    return undefined;
  }

  /**
   * Drops whatever an earlier run left in staging: uploads cut while
   * streaming, folders whose delete was cut halfway. Called once at start,
   * after crash recovery took what it needed.
   */
  async clearStaging(): Promise<void> {}
}
