import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';

import { EventEmitter2 } from '@nestjs/event-emitter';

import { ErrorCode } from '../common/error-codes.js';
import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import type { FerroEventName } from '../events/ferro-events.js';
import { NoIntentJournal } from '../journal/intent-journal.js';
import { CommitLock } from './commit-lock.js';
import { FileService } from './file.service.js';
import { MemoryStorageBackend } from './memory-storage.backend.js';
import type { StagedFile } from './storage-backend.js';

const OWNER = 'admin';

type Recorded = [FerroEventName, unknown];

/** The memory backend, counting the staged files thrown away. */
class CountingBackend extends MemoryStorageBackend {
  discarded = 0;

  override async discard(staged: StagedFile): Promise<void> {
    this.discarded += 1;
    await super.discard(staged);
  }
}

function body(content: string): Readable {
  return Readable.from([Buffer.from(content)]);
}

/** A body that arrives only when `finish` is called. */
function slowBody(content: string): { stream: Readable; finish: () => void } {
  const stream = new Readable({ read() {} });
  return {
    stream,
    finish: () => {
      stream.push(Buffer.from(content));
      stream.push(null);
    },
  };
}

describe('FileService', () => {
  let emitter: EventEmitter2;
  let storage: CountingBackend;
  let events: Recorded[];
  let sut: FileService;

  beforeEach(async () => {
    emitter = new EventEmitter2();
    storage = new CountingBackend();
    await storage.init();
    sut = new FileService(
      storage,
      new FerroEventBus(emitter),
      new CommitLock(),
      new NoIntentJournal(),
    );
    events = [];
    for (const name of Object.values(FerroEvent)) {
      emitter.on(name, (payload: unknown) => events.push([name, payload]));
    }
  });

  /** Puts files and forgets the events that caused, to test what comes next. */
  async function given(...paths: string[]): Promise<void> {
    for (const path of paths) {
      await sut.put(path, body(`content of ${path}`), OWNER);
    }
    events = [];
  }

  describe('events of successful operations (C10)', () => {
    it('emits one file.created for a new file', async () => {
      const result = await sut.put('/docs/new.txt', body('hello'), OWNER);

      expect(result).toEqual({ created: true, size: 5 });
      expect(events).toEqual([
        [FerroEvent.FileCreated, { path: '/docs/new.txt', size: 5, owner: OWNER }],
      ]);
    });

    it('emits one file.updated for an overwrite', async () => {
      await given('/docs/a.txt');

      const result = await sut.put('/docs/a.txt', body('changed!'), OWNER);

      expect(result).toEqual({ created: false, size: 8 });
      expect(events).toEqual([
        [FerroEvent.FileUpdated, { path: '/docs/a.txt', size: 8, owner: OWNER }],
      ]);
    });

    it('emits one file.moved for a rename, never a delete and a create', async () => {
      await given('/old.txt');

      await sut.move('/old.txt', '/new.txt', OWNER);

      expect(events).toEqual([
        [FerroEvent.FileMoved, { from: '/old.txt', to: '/new.txt', owner: OWNER }],
      ]);
    });

    it('emits one file.moved with the folder paths for a folder of three files', async () => {
      await given('/src/a.txt', '/src/b.txt', '/src/sub/c.txt');

      await sut.move('/src', '/archive/src', OWNER);

      expect(events).toEqual([
        [FerroEvent.FileMoved, { from: '/src', to: '/archive/src', owner: OWNER }],
      ]);
      expect(await text((await sut.read('/archive/src/sub/c.txt')).stream)).toBe(
        'content of /src/sub/c.txt',
      );
    });

    it('emits one file.deleted for a folder of three files, all of it gone', async () => {
      await given('/dir/a.txt', '/dir/b.txt', '/dir/sub/c.txt');

      await sut.remove('/dir', OWNER);

      expect(events).toEqual([[FerroEvent.FileDeleted, { path: '/dir', owner: OWNER }]]);
      expect(await storage.list('/')).toEqual([]);
    });

    it('moves /a to /ab, which is not inside /a', async () => {
      await given('/a/x.txt');

      await sut.move('/a', '/ab', OWNER);

      expect(events).toEqual([[FerroEvent.FileMoved, { from: '/a', to: '/ab', owner: OWNER }]]);
    });

    it('emits only after the change is visible in storage', async () => {
      const seen: boolean[] = [];
      emitter.on(FerroEvent.FileCreated, () => {
        void storage.stat('/x.txt').then((entry) => seen.push(entry !== undefined));
      });

      await sut.put('/x.txt', body('x'), OWNER);
      await new Promise((resolve) => setImmediate(resolve));

      expect(seen).toEqual([true]);
    });
  });

  describe('failed operations emit nothing', () => {
    it.each([
      [
        'a move onto an existing file',
        (s: FileService) => s.move('/a.txt', '/b.txt', OWNER),
        409,
        ErrorCode.TargetExists,
      ],
      [
        'a move onto an existing folder',
        (s: FileService) => s.move('/a.txt', '/dir', OWNER),
        409,
        ErrorCode.TargetExists,
      ],
      [
        'a move of a missing source',
        (s: FileService) => s.move('/nope', '/x', OWNER),
        404,
        ErrorCode.FileNotFound,
      ],
      [
        'a move of a folder into itself',
        (s: FileService) => s.move('/dir', '/dir/sub', OWNER),
        400,
        ErrorCode.MoveIntoSelf,
      ],
      [
        'a move of a folder onto itself',
        (s: FileService) => s.move('/dir', '/dir', OWNER),
        400,
        ErrorCode.MoveIntoSelf,
      ],
      [
        'a move of the root',
        (s: FileService) => s.move('/', '/x', OWNER),
        400,
        ErrorCode.InvalidPath,
      ],
      [
        'a move under a file',
        (s: FileService) => s.move('/a.txt', '/b.txt/a.txt', OWNER),
        409,
        ErrorCode.NotAFolder,
      ],
      [
        'a delete of a missing path',
        (s: FileService) => s.remove('/nope', OWNER),
        404,
        ErrorCode.FileNotFound,
      ],
      [
        'a delete of the root',
        (s: FileService) => s.remove('/', OWNER),
        400,
        ErrorCode.InvalidPath,
      ],
      [
        'a put onto a folder',
        (s: FileService) => s.put('/dir', body('x'), OWNER),
        409,
        ErrorCode.TargetExists,
      ],
      [
        'a put onto the root',
        (s: FileService) => s.put('/', body('x'), OWNER),
        409,
        ErrorCode.TargetExists,
      ],
      [
        'a put under a file',
        (s: FileService) => s.put('/a.txt/x', body('x'), OWNER),
        409,
        ErrorCode.NotAFolder,
      ],
    ])('%s', async (_case, action, status, code) => {
      await given('/a.txt', '/b.txt', '/dir/c.txt');

      const result = action(sut);

      await expect(result).rejects.toMatchObject({ status, code });
      expect(events).toEqual([]);
    });

    it('an upload whose body fails', async () => {
      const broken = new Readable({
        read() {
          this.destroy(new Error('client aborted'));
        },
      });

      await expect(sut.put('/x.txt', broken, OWNER)).rejects.toThrow('client aborted');

      expect(events).toEqual([]);
      expect(await storage.stat('/x.txt')).toBeUndefined();
    });

    it('throws away the staged body of an upload that cannot be committed', async () => {
      await given('/a.txt');

      await expect(sut.put('/a.txt/x', body('x'), OWNER)).rejects.toThrow();

      expect(storage.discarded).toBe(1);
    });
  });

  describe('concurrency', () => {
    it('turns two simultaneous puts to one new path into one created and one updated', async () => {
      const uploads = [
        sut.put('/race.txt', body('first'), OWNER),
        sut.put('/race.txt', body('second'), OWNER),
      ];

      const results = await Promise.all(uploads);

      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(events.map(([name]) => name)).toEqual([
        FerroEvent.FileCreated,
        FerroEvent.FileUpdated,
      ]);
    });

    it('emits in commit order, not in the order uploads started', async () => {
      const slow = slowBody('slow');
      const slowPut = sut.put('/slow.txt', slow.stream, OWNER);

      await sut.put('/fast.txt', body('fast'), OWNER);
      slow.finish();
      await slowPut;

      expect(events.map(([, payload]) => (payload as { path: string }).path)).toEqual([
        '/fast.txt',
        '/slow.txt',
      ]);
    });

    it('does not hold the lock while an upload streams', async () => {
      const slow = slowBody('slow');
      const slowPut = sut.put('/slow.txt', slow.stream, OWNER);
      await given('/other.txt');

      const removal = sut.remove('/other.txt', OWNER);

      await expect(removal).resolves.toBeUndefined();
      slow.finish();
      await slowPut;
    });
  });

  describe('reading', () => {
    it('opens a file with its size', async () => {
      await given('/a.txt');

      const content = await sut.get('/a.txt');

      expect(content).toMatchObject({ kind: 'file', path: '/a.txt', name: 'a.txt', size: 17 });
      expect(content.kind === 'file' && (await text(content.stream))).toBe('content of /a.txt');
    });

    it('lists a folder', async () => {
      await given('/dir/b.txt', '/dir/a.txt');

      const content = await sut.get('/dir');

      expect(content.kind).toBe('folder');
      expect(content.kind === 'folder' && content.entries.map((entry) => entry.name)).toEqual([
        'a.txt',
        'b.txt',
      ]);
    });

    it.each([
      ['get of a missing path', (s: FileService) => s.get('/nope'), 404, ErrorCode.FileNotFound],
      ['read of a folder', (s: FileService) => s.read('/dir'), 400, ErrorCode.NotAFile],
      ['stat of a missing path', (s: FileService) => s.stat('/nope'), 404, ErrorCode.FileNotFound],
    ])('refuses a %s', async (_case, action, status, code) => {
      await given('/dir/a.txt');

      const result = action(sut);

      await expect(result).rejects.toMatchObject({ status, code });
    });
  });
});
