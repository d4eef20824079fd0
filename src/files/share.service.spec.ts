import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';

import { EventEmitter2 } from '@nestjs/event-emitter';

import { ErrorCode } from '../common/error-codes.js';
import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import type { FileDeletedEvent, FileMovedEvent, FileSharedEvent } from '../events/ferro-events.js';
import { NoIntentJournal } from '../journal/intent-journal.js';
import { CommitLock } from './commit-lock.js';
import { FileService } from './file.service.js';
import { MemoryShareStore } from './memory-share.store.js';
import { MemoryStorageBackend } from './memory-storage.backend.js';
import { ShareService } from './share.service.js';
import type { ShareOptions } from './share.service.js';

const OWNER = 'admin';
const HOUR_MS = 3_600_000;
const NOW = new Date('2030-01-01T00:00:00.000Z');

function body(content: string): Readable {
  return Readable.from([Buffer.from(content)]);
}

describe('ShareService', () => {
  let storage: MemoryStorageBackend;
  let files: FileService;
  let store: MemoryShareStore;
  let shared: FileSharedEvent[];
  let sut: ShareService;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const emitter = new EventEmitter2();
    storage = new MemoryStorageBackend();
    files = new FileService(
      storage,
      new FerroEventBus(emitter),
      new CommitLock(),
      new NoIntentJournal(),
    );
    store = new MemoryShareStore();
    sut = new ShareService(files, store, new FerroEventBus(emitter));
    // What @OnEvent wires up inside Nest.
    emitter.on(FerroEvent.FileMoved, (event: FileMovedEvent) => sut.followMove(event));
    emitter.on(FerroEvent.FileDeleted, (event: FileDeletedEvent) => sut.dropDeleted(event));
    shared = [];
    emitter.on(FerroEvent.FileShared, (event: FileSharedEvent) => shared.push(event));
    await files.put('/docs/report.pdf', body('report'), OWNER);
    await files.put('/docs/sub/inner.txt', body('inner'), OWNER);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  async function share(options: ShareOptions = {}, path = '/docs/report.pdf'): Promise<string> {
    const view = await sut.create(path, OWNER, options);
    return view.token;
  }

  async function downloaded(token: string, password?: string): Promise<string> {
    return text((await sut.download(token, password)).stream);
  }

  describe('create', () => {
    it('creates a share of a file and emits one file.shared', async () => {
      const view = await sut.create('/docs/report.pdf', OWNER);

      expect(view).toEqual({
        token: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        path: '/docs/report.pdf',
        url_path: `/s/${view.token}`,
        created_at: NOW.toISOString(),
        expires_at: null,
        max_downloads: null,
        has_password: false,
      });
      expect(shared).toEqual([{ path: '/docs/report.pdf', token: view.token, owner: OWNER }]);
    });

    it('gives every share its own token', async () => {
      const tokens = await Promise.all([share(), share(), share()]);

      expect(new Set(tokens).size).toBe(3);
    });

    it('records expiry, download limit and password', async () => {
      const view = await sut.create('/docs/report.pdf', OWNER, {
        password: 'hunter2',
        expires_in_hours: 1.5,
        max_downloads: 3,
      });

      expect(view).toMatchObject({
        expires_at: new Date(NOW.getTime() + 1.5 * HOUR_MS).toISOString(),
        max_downloads: 3,
        has_password: true,
      });
    });

    it('keeps a scrypt hash, never the password', async () => {
      const token = await share({ password: 'hunter2' });

      const record = store.get(token)!;

      expect(record.password?.hash).toHaveLength(32);
      expect(record.password?.salt).toHaveLength(16);
      expect(JSON.stringify(record)).not.toContain('hunter2');
    });

    it('treats null options as absent', async () => {
      const view = await sut.create('/docs/report.pdf', OWNER, {
        password: null,
        expires_in_hours: null,
        max_downloads: null,
      });

      expect(view).toMatchObject({ expires_at: null, max_downloads: null, has_password: false });
    });

    it.each([
      ['a missing file', '/docs/missing.pdf', 404, ErrorCode.FileNotFound],
      ['a folder', '/docs', 400, ErrorCode.NotAFile],
    ])('refuses to share %s and emits nothing', async (_case, path, status, code) => {
      const create = sut.create(path, OWNER);

      await expect(create).rejects.toMatchObject({ status, code });
      expect(shared).toEqual([]);
      expect(store.all()).toEqual([]);
    });
  });

  describe('download', () => {
    it('opens the shared file', async () => {
      const token = await share();

      const file = await sut.download(token);

      expect(file).toMatchObject({ name: 'report.pdf', size: 6 });
      expect(await text(file.stream)).toBe('report');
    });

    it('accepts the right password', async () => {
      const token = await share({ password: 'hunter2' });

      const content = await downloaded(token, 'hunter2');

      expect(content).toBe('report');
    });

    it.each([
      ['an unknown token', {}, 'AAAAAAAAAAAAAAAAAAAAAA', undefined, 404, ErrorCode.ShareNotFound],
      [
        'a missing password',
        { password: 'hunter2' },
        undefined,
        undefined,
        401,
        ErrorCode.SharePasswordRequired,
      ],
      [
        'a wrong password',
        { password: 'hunter2' },
        undefined,
        'hunter3',
        401,
        ErrorCode.SharePasswordRequired,
      ],
      [
        'an empty password',
        { password: 'hunter2' },
        undefined,
        '',
        401,
        ErrorCode.SharePasswordRequired,
      ],
    ])('refuses %s', async (_case, options, token, password, status, code) => {
      const real = await share(options);

      const download = sut.download(token ?? real, password);

      await expect(download).rejects.toMatchObject({ status, code });
    });

    it('answers 410 once the share has expired', async () => {
      const token = await share({ expires_in_hours: 2 });
      await downloaded(token);

      vi.setSystemTime(NOW.getTime() + 2 * HOUR_MS);

      await expect(sut.download(token)).rejects.toMatchObject({
        status: 410,
        code: ErrorCode.ShareExpired,
      });
    });

    it('answers 410 once the downloads are used up', async () => {
      const token = await share({ max_downloads: 2 });

      await downloaded(token);
      await downloaded(token);

      await expect(sut.download(token)).rejects.toMatchObject({
        status: 410,
        code: ErrorCode.ShareExpired,
      });
    });

    it('lets only one of two simultaneous downloads through the last slot', async () => {
      const token = await share({ max_downloads: 1, password: 'pw' });

      const results = await Promise.allSettled([
        sut.download(token, 'pw'),
        sut.download(token, 'pw'),
      ]);

      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    });

    it('gives the download back when the file cannot be opened', async () => {
      const token = await share({ max_downloads: 1 });
      await storage.remove('/docs/report.pdf');
      await expect(sut.download(token)).rejects.toMatchObject({ status: 404 });

      await files.put('/docs/report.pdf', body('again'), OWNER);

      expect(await downloaded(token)).toBe('again');
    });
  });

  describe('following the file', () => {
    it('follows a rename of the file', async () => {
      const token = await share();

      await files.move('/docs/report.pdf', '/archive/final.pdf', OWNER);

      expect(await downloaded(token)).toBe('report');
      expect(store.get(token)?.path).toBe('/archive/final.pdf');
    });

    it('follows a move of a folder above the file, and not of a sibling prefix', async () => {
      const inner = await share({}, '/docs/sub/inner.txt');
      await files.put('/docsx.txt', body('x'), OWNER);
      const sibling = await share({}, '/docsx.txt');

      await files.move('/docs', '/old-docs', OWNER);

      expect(store.get(inner)?.path).toBe('/old-docs/sub/inner.txt');
      expect(store.get(sibling)?.path).toBe('/docsx.txt');
    });

    it('dies with its file, so a new file at the same path is not served', async () => {
      const token = await share();

      await files.remove('/docs', OWNER);
      await files.put('/docs/report.pdf', body('someone else'), OWNER);

      await expect(sut.download(token)).rejects.toMatchObject({
        status: 404,
        code: ErrorCode.ShareNotFound,
      });
    });
  });
});
