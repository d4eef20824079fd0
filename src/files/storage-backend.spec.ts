import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';

import { ErrorCode } from '../common/error-codes.js';
import { LocalStorageBackend } from './local-storage.backend.js';
import { MemoryStorageBackend } from './memory-storage.backend.js';
import type { StorageBackend } from './storage-backend.js';

interface Subject {
  sut: StorageBackend;
  cleanup: () => Promise<void>;
}

const backends: Array<[string, () => Promise<Subject>]> = [
  [
    'MemoryStorageBackend',
    async () => ({ sut: new MemoryStorageBackend(), cleanup: async () => {} }),
  ],
  [
    'LocalStorageBackend',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'ferro-storage-'));
      const sut = new LocalStorageBackend(dataDir);
      return {
        sut,
        cleanup: async () => {
          await sut.whenPurged();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  ],
];

function body(content: string): Readable {
  return Readable.from([Buffer.from(content)]);
}

/** A body that fails halfway, as a request does when the client aborts. */
function failingBody(): Readable {
  return new Readable({
    read() {
      this.push(Buffer.from('partial'));
      this.destroy(new Error('client aborted'));
    },
  });
}

async function write(sut: StorageBackend, path: string, content: string): Promise<void> {
  await sut.commit(await sut.stage(body(content)), path);
}

async function contentOf(sut: StorageBackend, path: string): Promise<string> {
  return text(await sut.read(path));
}

async function namesIn(sut: StorageBackend, path: string): Promise<string[]> {
  return (await sut.list(path)).map((entry) => `${entry.name}:${entry.type}`);
}

describe.each(backends)('%s', (_name, create) => {
  let sut: StorageBackend;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ sut, cleanup } = await create());
    await sut.init();
  });

  afterEach(async () => {
    await cleanup();
  });

  describe('writing', () => {
    it('stores a staged file at its path', async () => {
      const staged = await sut.stage(body('hello'));

      await sut.commit(staged, '/greeting.txt');

      expect(staged.size).toBe(5);
      expect(await contentOf(sut, '/greeting.txt')).toBe('hello');
      expect(await sut.stat('/greeting.txt')).toMatchObject({
        path: '/greeting.txt',
        name: 'greeting.txt',
        type: 'file',
        size: 5,
      });
    });

    it('stores an empty file', async () => {
      await write(sut, '/empty', '');

      expect(await contentOf(sut, '/empty')).toBe('');
      expect(await sut.stat('/empty')).toMatchObject({ type: 'file', size: 0 });
    });

    it('replaces a file that is already there', async () => {
      await write(sut, '/a.txt', 'old content');

      await write(sut, '/a.txt', 'new');

      expect(await contentOf(sut, '/a.txt')).toBe('new');
      expect(await sut.stat('/a.txt')).toMatchObject({ size: 3 });
    });

    it('creates the parent folders of a new file', async () => {
      await write(sut, '/a/b/c.txt', 'deep');

      expect(await sut.stat('/a')).toMatchObject({ type: 'folder', size: 0 });
      expect(await sut.stat('/a/b')).toMatchObject({ type: 'folder', name: 'b' });
      expect(await contentOf(sut, '/a/b/c.txt')).toBe('deep');
    });

    it('refuses with 409 not_a_folder when a parent is a file', async () => {
      await write(sut, '/a.txt', 'file');
      const staged = await sut.stage(body('x'));

      const commit = sut.commit(staged, '/a.txt/b/c.txt');

      await expect(commit).rejects.toMatchObject({ status: 409, code: ErrorCode.NotAFolder });
      expect(await contentOf(sut, '/a.txt')).toBe('file');
      await sut.discard(staged);
    });

    it('refuses with 409 target_exists to replace a folder with a file', async () => {
      await write(sut, '/folder/inside.txt', 'x');
      const staged = await sut.stage(body('y'));

      const commit = sut.commit(staged, '/folder');

      await expect(commit).rejects.toMatchObject({ status: 409, code: ErrorCode.TargetExists });
      expect(await sut.stat('/folder/inside.txt')).toMatchObject({ type: 'file' });
      await sut.discard(staged);
    });

    it('rejects staging when the body fails, and stores nothing', async () => {
      const stage = sut.stage(failingBody());

      await expect(stage).rejects.toThrow('client aborted');
      expect(await sut.list('/')).toEqual([]);
    });

    it('keeps a discarded file invisible', async () => {
      const staged = await sut.stage(body('never'));

      await sut.discard(staged);

      expect(await sut.list('/')).toEqual([]);
    });
  });

  describe('reading', () => {
    it('says undefined for a path where nothing is', async () => {
      await write(sut, '/a.txt', 'x');

      const results = await Promise.all([sut.stat('/missing'), sut.stat('/a.txt/below')]);

      expect(results).toEqual([undefined, undefined]);
    });

    it('describes the root as a folder', async () => {
      const root = await sut.stat('/');

      expect(root).toMatchObject({ path: '/', type: 'folder' });
    });

    it('lists the direct entries of a folder, sorted by name', async () => {
      await write(sut, '/docs/b.txt', 'bb');
      await write(sut, '/docs/a.txt', 'a');
      await write(sut, '/docs/sub/deep.txt', 'deep');

      const entries = await sut.list('/docs');

      expect(entries.map((entry) => entry.path)).toEqual([
        '/docs/a.txt',
        '/docs/b.txt',
        '/docs/sub',
      ]);
      expect(entries[1]).toMatchObject({ name: 'b.txt', type: 'file', size: 2 });
      expect(entries[2]).toMatchObject({ name: 'sub', type: 'folder', size: 0 });
      expect(Date.parse(entries[0].modified)).not.toBeNaN();
    });

    it.each([
      ['listing a missing folder', (s: StorageBackend) => s.list('/nope'), 404, 'file_not_found'],
      ['listing a file', (s: StorageBackend) => s.list('/a.txt'), 400, 'not_a_folder'],
      ['reading a missing file', (s: StorageBackend) => s.read('/nope'), 404, 'file_not_found'],
      ['reading a folder', (s: StorageBackend) => s.read('/dir'), 400, 'not_a_file'],
    ])('refuses %s', async (_case, action, status, code) => {
      await write(sut, '/a.txt', 'x');
      await write(sut, '/dir/b.txt', 'x');

      const result = action(sut);

      await expect(result).rejects.toMatchObject({ status, code });
    });
  });

  describe('removing', () => {
    it('removes a file', async () => {
      await write(sut, '/a.txt', 'x');

      await sut.remove('/a.txt');

      expect(await sut.stat('/a.txt')).toBeUndefined();
    });

    it('removes a folder with everything in it', async () => {
      await write(sut, '/dir/one.txt', '1');
      await write(sut, '/dir/two.txt', '2');
      await write(sut, '/dir/sub/three.txt', '3');
      await write(sut, '/keep.txt', 'k');

      await sut.remove('/dir');

      expect(await sut.stat('/dir')).toBeUndefined();
      expect(await sut.stat('/dir/sub/three.txt')).toBeUndefined();
      expect(await namesIn(sut, '/')).toEqual(['keep.txt:file']);
    });

    it.each([
      ['a missing path', '/missing', 404, 'file_not_found'],
      ['the root', '/', 400, 'invalid_path'],
    ])('refuses %s', async (_case, path, status, code) => {
      const remove = sut.remove(path);

      await expect(remove).rejects.toMatchObject({ status, code });
    });
  });

  describe('moving', () => {
    it('renames a file', async () => {
      await write(sut, '/old.txt', 'content');

      await sut.move('/old.txt', '/new.txt');

      expect(await sut.stat('/old.txt')).toBeUndefined();
      expect(await contentOf(sut, '/new.txt')).toBe('content');
    });

    it('moves a folder with its children and creates the target parents', async () => {
      await write(sut, '/src/a.txt', 'a');
      await write(sut, '/src/sub/b.txt', 'b');

      await sut.move('/src', '/archive/2024/src');

      expect(await sut.stat('/src')).toBeUndefined();
      expect(await contentOf(sut, '/archive/2024/src/a.txt')).toBe('a');
      expect(await contentOf(sut, '/archive/2024/src/sub/b.txt')).toBe('b');
    });

    it('moves /a to /ab, which is beside it and not inside', async () => {
      await write(sut, '/a/x.txt', 'x');

      await sut.move('/a', '/ab');

      expect(await namesIn(sut, '/')).toEqual(['ab:folder']);
    });

    it.each([
      ['the source is missing', '/missing', '/to', 404, 'file_not_found'],
      ['a file is at the target', '/a.txt', '/b.txt', 409, 'target_exists'],
      ['a folder is at the target', '/a.txt', '/dir', 409, 'target_exists'],
      ['a parent of the target is a file', '/dir', '/b.txt/dir', 409, 'not_a_folder'],
      ['the target is the source', '/dir', '/dir', 400, 'move_into_self'],
      ['the target is inside the source', '/dir', '/dir/sub/dir', 400, 'move_into_self'],
      ['the source is the root', '/', '/elsewhere', 400, 'invalid_path'],
    ])('refuses when %s and changes nothing', async (_case, from, to, status, code) => {
      await write(sut, '/a.txt', 'a');
      await write(sut, '/b.txt', 'b');
      await write(sut, '/dir/c.txt', 'c');

      const move = sut.move(from, to);

      await expect(move).rejects.toMatchObject({ status, code });
      expect(await namesIn(sut, '/')).toEqual(['a.txt:file', 'b.txt:file', 'dir:folder']);
      expect(await contentOf(sut, '/b.txt')).toBe('b');
      expect(await namesIn(sut, '/dir')).toEqual(['c.txt:file']);
    });
  });

  it('passes its probe when healthy', async () => {
    const probe = sut.probe();

    await expect(probe).resolves.toBeUndefined();
  });
});
