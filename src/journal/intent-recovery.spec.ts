import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { Logger } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';

import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import type { SyncOp } from '../events/ferro-events.js';
import { FERRO_OPTIONS, withDefaults } from '../ferro-realtime.options.js';
import type { StorageKind } from '../ferro-realtime.options.js';
import { CommitLock } from '../files/commit-lock.js';
import { FileService } from '../files/file.service.js';
import { storageBackendProvider } from '../files/files.providers.js';
import { StorageBackend } from '../files/storage-backend.js';
import { MemoryOpLog, OpLog } from '../sync/op-log.js';
import { opLogProvider } from '../sync/sync.providers.js';
import { SyncService } from '../sync/sync.service.js';
import { IntentJournal, NoIntentJournal } from './intent-journal.js';
import type { FileIntent } from './intent-journal.js';
import { intentJournalProvider } from './journal.providers.js';

const OWNER = 'admin';
const STAGED_NAME = '6b1d7f0e-2c3a-4e5f-9a8b-0c1d2e3f4a5b.upload';

/** What one start of the server holds, wired by the module's own providers. */
interface Run {
  moduleRef: TestingModule;
  files: FileService;
  storage: StorageBackend;
  log: OpLog;
  journal: IntentJournal;
  bus: FerroEventBus;
}

async function boot(dataDir: string, storage: StorageKind = 'local'): Promise<Run> {
  const moduleRef = await Test.createTestingModule({
    imports: [EventEmitterModule.forRoot()],
    providers: [
      { provide: FERRO_OPTIONS, useValue: withDefaults({ dataDir, storage }) },
      storageBackendProvider,
      opLogProvider,
      intentJournalProvider,
      CommitLock,
      FileService,
      FerroEventBus,
      SyncService,
    ],
  }).compile();
  await moduleRef.init();
  return {
    moduleRef,
    files: moduleRef.get(FileService),
    storage: moduleRef.get(StorageBackend),
    log: moduleRef.get(OpLog),
    journal: moduleRef.get(IntentJournal),
    bus: moduleRef.get(FerroEventBus),
  };
}

function body(content: string): Readable {
  return Readable.from([Buffer.from(content)]);
}

/** The steps the file service takes for one operation, to be cut anywhere. */
interface Steps {
  intent: FileIntent;
  change: () => Promise<void>;
  emit: () => void;
}

interface Operation {
  name: string;
  given: Record<string, string>;
  begin(run: Run): Promise<Steps>;
  /** Files on disk once the operation completed. */
  after: Record<string, string>;
  /** Its op, without clock and timestamp. */
  op: Partial<SyncOp>;
}

const OPERATIONS: Operation[] = [
  {
    name: 'an upload that creates a file',
    given: { '/keep.txt': 'keep' },
    async begin({ storage, bus }) {
      const staged = await storage.stage(body('new'));
      const path = '/docs/new.txt';
      return {
        intent: { kind: 'upload', path, owner: OWNER, staged: staged.name, size: 3, created: true },
        change: () => storage.commit(staged, path),
        emit: () => bus.emit(FerroEvent.FileCreated, { path, size: 3, owner: OWNER }),
      };
    },
    after: { '/keep.txt': 'keep', '/docs/new.txt': 'new' },
    op: { op_type: 'create', path: '/docs/new.txt', size: 3, owner: OWNER },
  },
  {
    name: 'an upload that overwrites a file',
    given: { '/doc.txt': 'old' },
    async begin({ storage, bus }) {
      const staged = await storage.stage(body('newer'));
      const path = '/doc.txt';
      return {
        intent: {
          kind: 'upload',
          path,
          owner: OWNER,
          staged: staged.name,
          size: 5,
          created: false,
        },
        change: () => storage.commit(staged, path),
        emit: () => bus.emit(FerroEvent.FileUpdated, { path, size: 5, owner: OWNER }),
      };
    },
    after: { '/doc.txt': 'newer' },
    op: { op_type: 'update', path: '/doc.txt', size: 5 },
  },
  {
    name: 'a delete of a folder',
    given: { '/dir/a.txt': 'a', '/dir/sub/b.txt': 'b', '/keep.txt': 'keep' },
    async begin({ storage, bus }) {
      const path = '/dir';
      return {
        intent: { kind: 'delete', path, owner: OWNER },
        change: () => storage.remove(path),
        emit: () => bus.emit(FerroEvent.FileDeleted, { path, owner: OWNER }),
      };
    },
    after: { '/keep.txt': 'keep' },
    op: { op_type: 'delete', path: '/dir' },
  },
  {
    name: 'a move of a folder',
    given: { '/from/a.txt': 'a', '/from/sub/b.txt': 'b' },
    async begin({ storage, bus }) {
      const [from, to] = ['/from', '/archive/moved'];
      return {
        intent: { kind: 'move', from, to, owner: OWNER },
        change: () => storage.move(from, to),
        emit: () => bus.emit(FerroEvent.FileMoved, { from, to, owner: OWNER }),
      };
    },
    after: { '/archive/moved/a.txt': 'a', '/archive/moved/sub/b.txt': 'b' },
    op: { op_type: 'move', path: '/archive/moved', from: '/from' },
  },
];

const WINDOWS = [
  { cut: 'after its intent was recorded', steps: 0 },
  { cut: 'after its change on disk', steps: 1 },
  { cut: 'after its op was appended', steps: 2 },
];

/** The files that the log's ops, replayed from an empty tree, leave behind. */
function filesByLog(ops: SyncOp[]): string[] {
  let paths = new Set<string>();
  const under = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
  for (const op of ops) {
    if (op.op_type === 'create' || op.op_type === 'update') {
      paths.add(op.path);
    } else if (op.op_type === 'delete') {
      paths = new Set([...paths].filter((path) => !under(path, op.path)));
    } else if (op.op_type === 'move') {
      const from = op.from!;
      paths = new Set(
        [...paths].map((path) => (under(path, from) ? op.path + path.slice(from.length) : path)),
      );
    }
  }
  return [...paths].sort();
}

describe('IntentRecovery', () => {
  let dataDir: string;
  let run: Run;
  let warn: ReturnType<typeof vi.spyOn>;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ferro-recovery-'));
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    run = await boot(dataDir);
  });

  afterEach(async () => {
    await run.moduleRef.close();
    vi.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Stops this run and starts the next on the same data dir, recovery included. */
  async function restart(): Promise<void> {
    await run.moduleRef.close();
    run = await boot(dataDir);
  }

  async function given(files: Record<string, string>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      await run.files.put(path, body(content), OWNER);
    }
  }

  async function filesOnDisk(
    folder = join(dataDir, 'files'),
    prefix = '',
  ): Promise<Record<string, string>> {
    const found: Record<string, string> = {};
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        Object.assign(found, await filesOnDisk(join(folder, entry.name), path));
      } else {
        found[path] = await readFile(join(folder, entry.name), 'utf8');
      }
    }
    return found;
  }

  function allOps(): SyncOp[] {
    return run.log.since(0, Number.MAX_SAFE_INTEGER);
  }

  /** Disk and log tell the same story, with nothing left to settle. */
  async function expectAgreement(): Promise<void> {
    const ops = allOps();
    expect(ops.map((op) => op.clock)).toEqual(ops.map((_, i) => i + 1));
    expect(Object.keys(await filesOnDisk()).sort()).toEqual(filesByLog(ops));
    expect(run.journal.pending()).toEqual([]);
    expect(await readdir(join(dataDir, '.staging'))).toEqual([]);
  }

  describe.each(OPERATIONS)('$name', (operation) => {
    it.each(WINDOWS)(
      'cut $cut is on disk and in the log once, after the next start',
      async ({ steps }) => {
        await given(operation.given);
        const before = run.log.currentClock;
        const { intent, change, emit } = await operation.begin(run);
        run.journal.record(intent);
        if (steps >= 1) {
          await change();
        }
        if (steps >= 2) {
          emit();
        }

        await restart();

        expect(await filesOnDisk()).toEqual(operation.after);
        expect(run.log.since(before, 10)).toEqual([
          expect.objectContaining({ clock: before + 1, ...operation.op }),
        ]);
        await expectAgreement();
      },
    );
  });

  it('settles several intents in the order they were recorded, clocks one apart', async () => {
    await given({ '/a.txt': 'a', '/b.txt': 'b' });
    run.journal.record({ kind: 'delete', path: '/a.txt', owner: OWNER });
    run.journal.record({ kind: 'move', from: '/b.txt', to: '/c.txt', owner: OWNER });

    await restart();

    expect(allOps().slice(2)).toEqual([
      expect.objectContaining({ clock: 3, op_type: 'delete', path: '/a.txt' }),
      expect.objectContaining({ clock: 4, op_type: 'move', path: '/c.txt', from: '/b.txt' }),
    ]);
    expect(await filesOnDisk()).toEqual({ '/c.txt': 'b' });
    await expectAgreement();
  });

  it('finishes a folder delete that was cut halfway through its files', async () => {
    await given({ '/dir/a.txt': 'a', '/dir/b.txt': 'b', '/dir/sub/c.txt': 'c' });
    run.journal.record({ kind: 'delete', path: '/dir', owner: OWNER });
    await rm(join(dataDir, 'files', 'dir', 'a.txt'));
    await mkdir(join(dataDir, '.staging', 'f00d.trash', 'half'), { recursive: true });

    await restart();

    expect(await filesOnDisk()).toEqual({});
    expect(allOps().at(-1)).toMatchObject({ clock: 4, op_type: 'delete', path: '/dir' });
    await expectAgreement();
  });

  it('throws away an upload cut while streaming, before it had an intent', async () => {
    await given({ '/a.txt': 'a' });
    await writeFile(join(dataDir, '.staging', STAGED_NAME), 'half an upl');

    await restart();

    expect(run.log.currentClock).toBe(1);
    await expectAgreement();
  });

  it.each<{ name: string; intent: FileIntent; given: Record<string, string> }>([
    {
      name: 'an upload whose file vanished',
      intent: {
        kind: 'upload',
        path: '/gone.txt',
        owner: OWNER,
        staged: STAGED_NAME,
        size: 1,
        created: true,
      },
      given: { '/a.txt': 'a' },
    },
    {
      name: 'a move whose source and target both exist',
      intent: { kind: 'move', from: '/a.txt', to: '/b.txt', owner: OWNER },
      given: { '/a.txt': 'a', '/b.txt': 'b' },
    },
    {
      name: 'a move whose source and target are both missing',
      intent: { kind: 'move', from: '/x.txt', to: '/y.txt', owner: OWNER },
      given: { '/a.txt': 'a' },
    },
  ])('drops $name (the disk was changed by hand) with a warning and no op', async (row) => {
    await given(row.given);
    const before = await filesOnDisk();
    run.journal.record(row.intent);

    await restart();

    expect(await filesOnDisk()).toEqual(before);
    expect(run.log.currentClock).toBe(Object.keys(row.given).length);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('without an op'));
    await expectAgreement();
  });

  it('drops an upload that can no longer be committed, as it would have failed then', async () => {
    const staged = await run.storage.stage(body('x'));
    run.journal.record({
      kind: 'upload',
      path: '/x.txt',
      owner: OWNER,
      staged: staged.name,
      size: 1,
      created: true,
    });
    await mkdir(join(dataDir, 'files', 'x.txt', 'inside'), { recursive: true });

    await restart();

    expect(run.log.currentClock).toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('A folder'));
    expect(await readdir(join(dataDir, '.staging'))).toEqual([]);
  });

  it('keeps an intent from before the change until the op is in the log, then clears it', async () => {
    const held: unknown[] = [];
    run.moduleRef
      .get(EventEmitter2)
      .on(FerroEvent.FileCreated, () => held.push(...run.journal.pending()));

    await run.files.put('/a.txt', body('abc'), OWNER);

    expect(held).toEqual([
      {
        id: 1,
        clock: 0,
        kind: 'upload',
        path: '/a.txt',
        owner: OWNER,
        staged: expect.stringMatching(/\.upload$/),
        size: 3,
        created: true,
      },
    ]);
    expect(run.journal.pending()).toEqual([]);
  });

  it('clears the intent of an operation that failed on storage', async () => {
    await given({ '/file.txt': 'f' });

    await expect(run.files.put('/file.txt/inner.txt', body('x'), OWNER)).rejects.toThrow();

    expect(run.journal.pending()).toEqual([]);
    await expectAgreement();
  });

  it('keeps no journal for memory storage, whose files and log vanish together', async () => {
    await run.moduleRef.close();
    run = await boot(dataDir, 'memory');

    expect(run.journal).toBeInstanceOf(NoIntentJournal);
    expect(run.log).toBeInstanceOf(MemoryOpLog);
  });
});
