import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Stats, WriteStream } from 'node:fs';
import {
  access,
  constants,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { Logger } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';

import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';
import { childOf, isSameOrInside, nameOf, ROOT } from './file-path.js';
import { StorageBackend } from './storage-backend.js';
import type { EntryInfo, StagedFile } from './storage-backend.js';
import {
  fileNotFound,
  leavesRoot,
  moveIntoSelf,
  notAFile,
  notAFolder,
  parentIsAFile,
  rootIsFixed,
  storageUnavailable,
  targetExists,
} from './storage.errors.js';

/** How `stage` names its files; `findStaged` accepts no other name. */
const STAGED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.upload$/;

class LocalStagedFile implements StagedFile {
  constructor(
    readonly file: string,
    readonly size: number,
  ) {}

  get name(): string {
    return basename(this.file);
  }
}

/**
 * Stores files on disk under `<dataDir>/files`. Uploads are written to
 * `<dataDir>/.staging` first: it sits on the same filesystem, so `commit` is
 * one atomic `rename` and a reader sees either the old file or the new one,
 * never half of either.
 *
 * Symbolic links inside the root are followed only while they resolve to a
 * place inside the root; any path that would reach outside it through a link
 * is refused with 400 `invalid_path`, for reading and writing alike. The check
 * and the operation are not atomic against someone changing the directory
 * tree on the host at the same moment; the API itself never creates links.
 */
export class LocalStorageBackend extends StorageBackend implements OnModuleDestroy {
  readonly kind = 'local';

  private readonly logger = new Logger(LocalStorageBackend.name);
  private readonly root: string;
  private readonly staging: string;
  private readonly purges = new Set<Promise<void>>();

  constructor(dataDir: string) {
    super();
    this.root = resolve(dataDir, 'files');
    this.staging = resolve(dataDir, '.staging');
  }

  /**
   * Creates the root and the staging folder. Leftovers of a crash stay in
   * staging until `clearStaging`, so that recovery can still finish an
   * upload whose rename the crash cut.
   */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await mkdir(this.staging, { recursive: true });
  }

  async findStaged(name: string): Promise<StagedFile | undefined> {
    if (!STAGED_NAME.test(name)) {
      return undefined;
    }

    const file = join(this.staging, name);
    const info = await stat(file).catch((error: unknown) => {
      // Anything but "not there" must not pass for a rename that happened.
      if (isCode(error, 'ENOENT')) {
        return undefined;
      }
      throw error;
    });
    return info?.isFile() ? new LocalStagedFile(file, info.size) : undefined;
  }

  /** Empties staging, once the folders deleted so far are gone from it. */
  async clearStaging(): Promise<void> {
    await this.whenPurged();
    await rm(this.staging, { recursive: true, force: true });
    await mkdir(this.staging, { recursive: true });
  }

  async stat(path: string): Promise<EntryInfo | undefined> {
    const target = await this.locate(path);
    try {
      return entryOf(path, await stat(target));
    } catch (error) {
      return this.whenMissing<EntryInfo>(error);
    }
  }

  async list(path: string): Promise<EntryInfo[]> {
    const folder = await this.locate(path);
    const names = await readdir(folder).catch((error: unknown) => this.listFailure(error, path));
    const entries = await Promise.all(names.map((name) => this.entryIfReachable(path, name)));
    return entries
      .filter((entry): entry is EntryInfo => entry !== undefined)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async read(path: string): Promise<Readable> {
    // O_NONBLOCK keeps a FIFO placed in the tree from blocking a worker thread.
    const flags = constants.O_RDONLY | constants.O_NONBLOCK;
    const handle = await open(await this.locate(path), flags).catch((error: unknown) =>
      this.readFailure(error, path),
    );
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      throw info.isDirectory() ? notAFile(path) : fileNotFound(path);
    }

    return handle.createReadStream();
  }

  async stage(body: Readable): Promise<StagedFile> {
    // Recreated on demand, so a staging folder removed by hand costs one
    // mkdir instead of failing every upload until a restart.
    await mkdir(this.staging, { recursive: true }).catch(() =>
      Promise.reject(storageUnavailable()),
    );
    const file = join(this.staging, `${randomUUID()}.upload`);
    const sink = createWriteStream(file, { flags: 'wx' });
    try {
      await pipeline(body, sink);
    } catch (error) {
      // The sink may still be opening its file; removing it before the
      // stream has closed could leave the file behind.
      await closed(sink);
      await rm(file, { force: true });
      throw error;
    }
    return new LocalStagedFile(file, sink.bytesWritten);
  }

  async commit(staged: StagedFile, path: string): Promise<void> {
    const { file } = ownStaged(staged);
    const target = await this.locate(path);
    await this.makeParents(target, path);
    await rename(file, target).catch((error: unknown) => {
      throw isCode(error, 'EISDIR', 'ENOTEMPTY', 'EEXIST') ? targetExists(path, 'A folder') : error;
    });
  }

  async discard(staged: StagedFile): Promise<void> {
    await rm(ownStaged(staged).file, { force: true });
  }

  /**
   * A folder is first renamed into staging, so it disappears from the tree
   * in one step; its contents are then deleted in the background, off the
   * commit lock, and `init` clears whatever a crash left there.
   */
  async remove(path: string): Promise<void> {
    if (path === ROOT) {
      throw rootIsFixed('deleted');
    }

    const target = await this.locate(path);
    const info = await lstat(target).catch((error: unknown) => this.whenMissing<Stats>(error));
    if (!info) {
      throw fileNotFound(path);
    }

    if (!info.isDirectory()) {
      await rm(target, { force: true });
      return;
    }

    const trash = join(this.staging, `${randomUUID()}.trash`);
    await rename(target, trash);
    this.purge(trash);
  }

  async move(from: string, to: string): Promise<void> {
    if (from === ROOT) {
      throw rootIsFixed('moved');
    }

    if (isSameOrInside(to, from)) {
      throw moveIntoSelf(from, to);
    }

    const [source, target] = await Promise.all([this.locate(from), this.locate(to)]);
    await this.assertMovable(source, target, from, to);
    await this.makeParents(target, to);
    await rename(source, target);
  }

  /**
   * Checks the medium as it is now: the root must be a folder we can write
   * into, and a small file must survive a write and read in staging. Nothing
   * is repaired here, so a broken root stays reported until someone fixes it.
   */
  async probe(): Promise<void> {
    const info = await stat(this.root);
    if (!info.isDirectory()) {
      throw new Error(`Storage root ${this.root} is not a folder`);
    }

    await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
    await this.probeStaging();
  }

  /** Resolves once every folder deleted so far is gone from the disk too. */
  async whenPurged(): Promise<void> {
    await Promise.all(this.purges);
  }

  async onModuleDestroy(): Promise<void> {
    await this.whenPurged();
  }

  private async probeStaging(): Promise<void> {
    const file = join(this.staging, `${randomUUID()}.probe`);
    const written = randomUUID();
    try {
      await writeFile(file, written, { flag: 'wx' });
      if ((await readFile(file, 'utf8')) !== written) {
        throw new Error('Storage probe read back different bytes');
      }
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * The absolute location of `path` on disk, after checking that the part
   * of it that exists does not lead outside the root through a link.
   */
  private async locate(path: string): Promise<string> {
    const target = path === ROOT ? this.root : join(this.root, ...path.split('/'));
    const realRoot = await this.realRoot();
    const realTarget = await realpathOfExisting(target, this.root);
    if (realTarget !== realRoot && !realTarget.startsWith(realRoot + sep)) {
      throw leavesRoot(path);
    }

    return target;
  }

  /**
   * The root as the disk resolves it. A root that is gone or is no longer a
   * folder makes every path unusable: 503, never a 404 or the bytes of
   * whatever file took the root's place.
   */
  private async realRoot(): Promise<string> {
    try {
      const real = await realpath(this.root);
      if ((await stat(real)).isDirectory()) {
        return real;
      }
    } catch {
      // Falls through to the same answer as a root that is a file.
    }
    throw storageUnavailable();
  }

  private async entryIfReachable(folder: string, name: string): Promise<EntryInfo | undefined> {
    try {
      return await this.stat(childOf(folder, name));
    } catch (error) {
      if (error instanceof FerroError && error.code === ErrorCode.InvalidPath) {
        return undefined;
      }

      throw error;
    }
  }

  private async makeParents(target: string, path: string): Promise<void> {
    try {
      await mkdir(dirname(target), { recursive: true });
    } catch (error) {
      throw isCode(error, 'EEXIST', 'ENOTDIR') ? parentIsAFile(path) : error;
    }
  }

  private async assertMovable(
    source: string,
    target: string,
    from: string,
    to: string,
  ): Promise<void> {
    const sourceInfo = await lstat(source).catch((error: unknown) =>
      this.whenMissing<Stats>(error),
    );
    if (!sourceInfo) {
      throw fileNotFound(from);
    }

    const targetInfo = await lstat(target).catch((error: unknown) =>
      this.whenMissing<Stats>(error),
    );
    if (targetInfo) {
      throw targetExists(to);
    }
  }

  private purge(trash: string): void {
    const removal = rm(trash, { recursive: true, force: true })
      .catch((error: unknown) => {
        this.logger.error(`Could not delete ${trash}`, (error as Error).stack);
      })
      .finally(() => this.purges.delete(removal));
    this.purges.add(removal);
  }

  /**
   * Turns "not there" into `undefined`, but only once the root itself is
   * known to be a folder: a root that vanished or became a file is a broken
   * medium (503), not a missing entry (404).
   */
  private async whenMissing<T>(error: unknown): Promise<T | undefined> {
    if (!isCode(error, 'ENOENT', 'ENOTDIR')) {
      throw error;
    }

    const rootInfo = await stat(this.root).catch(() => undefined);
    if (!rootInfo?.isDirectory()) {
      throw storageUnavailable();
    }

    return undefined;
  }

  private async listFailure(error: unknown, path: string): Promise<never> {
    if (isCode(error, 'ENOTDIR')) {
      const info = await stat(this.root).catch(() => undefined);
      throw info?.isDirectory() ? notAFolder(path) : storageUnavailable();
    }

    await this.whenMissing(error);
    throw fileNotFound(path);
  }

  private async readFailure(error: unknown, path: string): Promise<never> {
    if (isCode(error, 'EISDIR')) {
      throw notAFile(path);
    }

    await this.whenMissing(error);
    throw fileNotFound(path);
  }
}

/**
 * `realpath` of `target`, or of its deepest ancestor that exists (never
 * above `root`): a path about to be created is checked through the folders
 * it will be created in.
 */
async function realpathOfExisting(target: string, root: string): Promise<string> {
  let current = target;
  for (;;) {
    try {
      return await realpath(current);
    } catch (error) {
      if (!isCode(error, 'ENOENT', 'ENOTDIR') || current === root) {
        throw error;
      }

      current = dirname(current);
    }
  }
}

function closed(stream: WriteStream): Promise<void> {
  if (stream.closed) {
    return Promise.resolve();
  }

  return new Promise((done) => stream.once('close', () => done()));
}

function entryOf(path: string, info: Stats): EntryInfo | undefined {
  if (!info.isFile() && !info.isDirectory()) {
    return undefined;
  }

  return {
    path,
    name: nameOf(path),
    type: info.isDirectory() ? 'folder' : 'file',
    size: info.isFile() ? info.size : 0,
    modified: info.mtime.toISOString(),
  };
}

function ownStaged(staged: StagedFile): LocalStagedFile {
  if (!(staged instanceof LocalStagedFile)) {
    throw new TypeError('This staged file was not staged by the local backend');
  }

  return staged;
}

function isCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}
