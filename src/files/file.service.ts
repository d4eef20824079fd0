import type { Readable } from 'node:stream';

import { Injectable } from '@nestjs/common';

import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import { IntentJournal } from '../journal/intent-journal.js';
import type { UploadIntent } from '../journal/intent-journal.js';
import { CommitLock } from './commit-lock.js';
import { isSameOrInside, nameOf, ROOT } from './file-path.js';
import { StorageBackend } from './storage-backend.js';
import type { EntryInfo, StagedFile } from './storage-backend.js';
import {
  fileNotFound,
  moveIntoSelf,
  notAFile,
  rootIsFixed,
  targetExists,
} from './storage.errors.js';

/** What an upload did. */
export interface PutResult {
  /** True when nothing was stored at the path before. */
  created: boolean;
  size: number;
}

/** An opened file, ready to be streamed. */
export interface FileContent {
  kind: 'file';
  path: string;
  name: string;
  size: number;
  stream: Readable;
}

/** The entries directly inside a folder. */
export interface FolderContent {
  kind: 'folder';
  path: string;
  entries: EntryInfo[];
}

/**
 * Performs file operations on the storage backend and announces each one
 * that succeeded with exactly one domain event (case C10): a new file is
 * `file.created`, an overwrite `file.updated`, a rename or move one
 * `file.moved` for the entry's own paths, a delete one `file.deleted` even
 * for a whole folder. A failed operation emits nothing.
 *
 * Every mutation checks, commits and emits inside the shared `CommitLock`,
 * so the event order is the commit order and the clock that listeners
 * assign during `emit` follows it. The commit and the emit run inside
 * `journal.run`, so that a crash between the change on storage and the op
 * in the log is settled at the next start. Paths are expected normalized.
 */
@Injectable()
export class FileService {
  constructor(
    private readonly storage: StorageBackend,
    private readonly events: FerroEventBus,
    private readonly lock: CommitLock,
    private readonly journal: IntentJournal,
  ) {}

  /**
   * Stores `body` at `path`, replacing a file there. The body streams into
   * staging before the lock is taken, so a slow upload never holds up other
   * operations; a staged body that is not committed is thrown away.
   */
  async put(path: string, body: Readable, owner: string): Promise<PutResult> {
    await this.assertNoFolderAt(path);

    const staged = await this.storage.stage(body);
    try {
      return await this.lock.run(() => this.commitUpload(staged, path, owner));
    } catch (error) {
      await this.storage.discard(staged);
      throw error;
    }
  }

  /** The file at `path` opened for reading, or the listing of the folder there. */
  async get(path: string): Promise<FileContent | FolderContent> {
    const file = await this.lock.run(() => this.openFile(path));
    if (file) {
      return file;
    }

    return { kind: 'folder', path, entries: await this.storage.list(path) };
  }

  /** The file at `path` opened for reading; 400 `not_a_file` for a folder. */
  async read(path: string): Promise<FileContent> {
    const file = await this.lock.run(() => this.openFile(path));
    if (!file) {
      throw notAFile(path);
    }

    return file;
  }

  /** Info of the entry at `path`; 404 `file_not_found` when nothing is there. */
  async stat(path: string): Promise<EntryInfo> {
    const entry = await this.storage.stat(path);
    if (!entry) {
      throw fileNotFound(path);
    }

    return entry;
  }

  /**
   * Runs `action` at the serialisation point while the file at `path` is
   * known to exist, for operations of other services (sharing) whose events
   * must be ordered with the file operations.
   */
  async withFile<T>(path: string, action: (file: EntryInfo) => T | Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      const entry = await this.stat(path);
      if (entry.type !== 'file') {
        throw notAFile(path);
      }

      return action(entry);
    });
  }

  /** Deletes the file or the whole folder at `path`. */
  async remove(path: string, owner: string): Promise<void> {
    if (path === ROOT) {
      throw rootIsFixed('deleted');
    }

    await this.lock.run(async () => {
      await this.stat(path);
      await this.journal.run(
        { kind: 'delete', path, owner },
        () => this.storage.remove(path),
        () => this.events.emit(FerroEvent.FileDeleted, { path, owner }),
      );
    });
  }

  /** Renames or moves `from` to `to`, never replacing anything at `to`. */
  async move(from: string, to: string, owner: string): Promise<void> {
    if (from === ROOT) {
      throw rootIsFixed('moved');
    }

    if (isSameOrInside(to, from)) {
      throw moveIntoSelf(from, to);
    }

    await this.lock.run(async () => {
      await this.stat(from);
      await this.assertNothingAt(to);
      await this.journal.run(
        { kind: 'move', from, to, owner },
        () => this.storage.move(from, to),
        () => this.events.emit(FerroEvent.FileMoved, { from, to, owner }),
      );
    });
  }

  private async commitUpload(staged: StagedFile, path: string, owner: string): Promise<PutResult> {
    const created = (await this.assertNoFolderAt(path)) === undefined;
    const { size, name } = staged;
    const intent: UploadIntent = { kind: 'upload', path, owner, staged: name, size, created };
    const event = created ? FerroEvent.FileCreated : FerroEvent.FileUpdated;
    await this.journal.run(
      intent,
      () => this.storage.commit(staged, path),
      () => this.events.emit(event, { path, size, owner }),
    );
    return { created, size };
  }

  /**
   * Opens the file at `path`, or resolves undefined for a folder. Runs under
   * the lock so the size read here belongs to the bytes opened: an overwrite
   * cannot slip in between and make `Content-Length` lie.
   */
  private async openFile(path: string): Promise<FileContent | undefined> {
    const entry = await this.stat(path);
    if (entry.type === 'folder') {
      return undefined;
    }

    const stream = await this.storage.read(path);
    return { kind: 'file', path, name: nameOf(path), size: entry.size, stream };
  }

  /** The file at `path` if there is one; 409 when a folder is there. */
  private async assertNoFolderAt(path: string): Promise<EntryInfo | undefined> {
    const existing = await this.storage.stat(path);
    if (existing?.type === 'folder') {
      throw targetExists(path, 'A folder');
    }

    return existing;
  }

  private async assertNothingAt(path: string): Promise<void> {
    if (await this.storage.stat(path)) {
      throw targetExists(path);
    }
  }
}
