import { access, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';

import { ErrorCode } from '../common/error-codes.js';
import { LocalStorageBackend } from './local-storage.backend.js';
import { MemoryStorageBackend } from './memory-storage.backend.js';

function body(content: string): Readable {
  return Readable.from([Buffer.from(content)]);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('LocalStorageBackend on disk', () => {
  let sandbox: string;
  let dataDir: string;
  let filesRoot: string;
  let outside: string;
  let sut: LocalStorageBackend;

  beforeEach(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'ferro-local-'));
    dataDir = join(sandbox, 'data');
    filesRoot = join(dataDir, 'files');
    outside = join(sandbox, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    sut = new LocalStorageBackend(dataDir);
    await sut.init();
  });

  afterEach(async () => {
    await sut.whenPurged();
    await rm(sandbox, { recursive: true, force: true });
  });

  describe('start', () => {
    const stagedName = '0f8c1d2e-3b4a-4c5d-8e6f-708192a3b4c5.upload';

    it('creates the files root and keeps what a crash left in staging for recovery', async () => {
      await writeFile(join(dataDir, '.staging', stagedName), 'whole');

      await sut.init();

      expect(await readdir(join(dataDir, '.staging'))).toEqual([stagedName]);
      expect(await exists(filesRoot)).toBe(true);
    });

    it('finds a staged file of an earlier run by name, and commits it', async () => {
      await writeFile(join(dataDir, '.staging', stagedName), 'whole');

      const staged = await sut.findStaged(stagedName);
      await sut.commit(staged!, '/done.txt');

      expect(staged?.size).toBe(5);
      expect(await text(await sut.read('/done.txt'))).toBe('whole');
    });

    it.each([
      { name: 'missing', given: stagedName },
      { name: 'not a staged name', given: '../files/done.txt' },
    ])('finds no staged file when the name is $name', async ({ given }) => {
      expect(await sut.findStaged(given)).toBeUndefined();
    });

    it('gives a staged file the name findStaged takes', async () => {
      const staged = await sut.stage(body('pending'));

      expect(await sut.findStaged(staged.name!)).toMatchObject({ size: 7, name: staged.name });
    });

    it('clears staging of uploads and deleted folders a crash left', async () => {
      await writeFile(join(dataDir, '.staging', stagedName), 'half');
      await mkdir(join(dataDir, '.staging', 'x.trash', 'sub'), { recursive: true });

      await sut.clearStaging();

      expect(await readdir(join(dataDir, '.staging'))).toEqual([]);
    });
  });

  describe('staging', () => {
    it('keeps uploads out of the tree until commit', async () => {
      const staged = await sut.stage(body('pending'));

      const visible = await readdir(filesRoot);
      await sut.commit(staged, '/done.txt');

      expect(visible).toEqual([]);
      expect(await readdir(join(dataDir, '.staging'))).toEqual([]);
      expect(await readdir(filesRoot)).toEqual(['done.txt']);
    });

    it('leaves nothing in staging after an aborted upload', async () => {
      const aborted = new Readable({
        read() {
          this.push(Buffer.alloc(1024));
          this.destroy(new Error('aborted'));
        },
      });

      await expect(sut.stage(aborted)).rejects.toThrow('aborted');

      expect(await readdir(join(dataDir, '.staging'))).toEqual([]);
    });

    it('refuses a staged file from another backend', async () => {
      const foreign = await new MemoryStorageBackend().stage(body('x'));

      const commit = sut.commit(foreign, '/x');

      await expect(commit).rejects.toThrow(TypeError);
    });

    it('deletes a removed folder from the disk, staging included', async () => {
      await sut.commit(await sut.stage(body('1')), '/dir/a.txt');

      await sut.remove('/dir');
      await sut.whenPurged();

      expect(await readdir(filesRoot)).toEqual([]);
      expect(await readdir(join(dataDir, '.staging'))).toEqual([]);
    });
  });

  describe('probe', () => {
    it('fails while the files root is a plain file, without repairing it', async () => {
      await rm(filesRoot, { recursive: true });
      await writeFile(filesRoot, 'not a folder');

      const probe = sut.probe();

      await expect(probe).rejects.toThrow(/not a folder/);
      expect(await readdir(dataDir)).toContain('files');
      await expect(sut.probe()).rejects.toThrow();
    });

    it('passes again once the root is a folder again', async () => {
      await rm(filesRoot, { recursive: true });
      await writeFile(filesRoot, 'broken');
      await expect(sut.probe()).rejects.toThrow();

      await rm(filesRoot);
      await mkdir(filesRoot);

      await expect(sut.probe()).resolves.toBeUndefined();
    });

    it('fails while the root is missing and does not recreate it', async () => {
      await rm(filesRoot, { recursive: true });

      const probe = sut.probe();

      await expect(probe).rejects.toThrow();
      expect(await exists(filesRoot)).toBe(false);
    });

    it('leaves no probe file behind', async () => {
      await sut.probe();

      expect(await readdir(join(dataDir, '.staging'))).toEqual([]);
    });
  });

  describe('with a broken root', () => {
    it.each([
      ['stat', (s: LocalStorageBackend) => s.stat('/a.txt')],
      ['stat of the root', (s: LocalStorageBackend) => s.stat('/')],
      ['read of the root', (s: LocalStorageBackend) => s.read('/')],
      ['list', (s: LocalStorageBackend) => s.list('/')],
      ['read', (s: LocalStorageBackend) => s.read('/a.txt')],
      ['remove', (s: LocalStorageBackend) => s.remove('/a.txt')],
    ])('answers %s with 503 storage_unavailable', async (_case, action) => {
      await rm(filesRoot, { recursive: true });
      await writeFile(filesRoot, 'broken');

      const result = action(sut);

      await expect(result).rejects.toMatchObject({
        status: 503,
        code: ErrorCode.StorageUnavailable,
      });
    });
  });

  it('recreates a staging folder removed while running', async () => {
    await rm(join(dataDir, '.staging'), { recursive: true });

    await sut.commit(await sut.stage(body('back')), '/again.txt');

    expect(await text(await sut.read('/again.txt'))).toBe('back');
  });

  describe('symbolic links', () => {
    it.each([
      ['stat a link to an outside file', (s: LocalStorageBackend) => s.stat('/leak.txt')],
      ['read a link to an outside file', (s: LocalStorageBackend) => s.read('/leak.txt')],
      ['list a linked outside folder', (s: LocalStorageBackend) => s.list('/door')],
      [
        'read through a linked outside folder',
        (s: LocalStorageBackend) => s.read('/door/secret.txt'),
      ],
      [
        'remove through a linked outside folder',
        (s: LocalStorageBackend) => s.remove('/door/secret.txt'),
      ],
      [
        'move out of a linked outside folder',
        (s: LocalStorageBackend) => s.move('/door/secret.txt', '/x'),
      ],
    ])('refuses to %s with 400 invalid_path', async (_case, action) => {
      await symlink(join(outside, 'secret.txt'), join(filesRoot, 'leak.txt'));
      await symlink(outside, join(filesRoot, 'door'));

      const result = action(sut);

      await expect(result).rejects.toMatchObject({ status: 400, code: ErrorCode.InvalidPath });
      expect(await readdir(outside)).toEqual(['secret.txt']);
    });

    it('refuses to write through a linked outside folder', async () => {
      await symlink(outside, join(filesRoot, 'door'));
      const staged = await sut.stage(body('planted'));

      const commit = sut.commit(staged, '/door/sub/planted.txt');

      await expect(commit).rejects.toMatchObject({ status: 400, code: ErrorCode.InvalidPath });
      expect(await readdir(outside)).toEqual(['secret.txt']);
      await sut.discard(staged);
    });

    it('hides links that lead outside from listings', async () => {
      await symlink(outside, join(filesRoot, 'door'));
      await sut.commit(await sut.stage(body('x')), '/visible.txt');

      const entries = await sut.list('/');

      expect(entries.map((entry) => entry.name)).toEqual(['visible.txt']);
    });

    it('follows a link that stays inside the root', async () => {
      await sut.commit(await sut.stage(body('inside')), '/real/file.txt');
      await symlink(join(filesRoot, 'real'), join(filesRoot, 'alias'));

      const content = await text(await sut.read('/alias/file.txt'));

      expect(content).toBe('inside');
    });
  });
});
