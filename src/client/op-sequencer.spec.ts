import { fileEventOf, OpSequencer } from './op-sequencer.js';
import type { DeltaOp, FileEventMessage, SyncOpMessage } from './wire.types.js';

function created(path: string): FileEventMessage {
  return { type: 'file_created', path, size: 1, owner: 'admin' };
}

function syncOp(
  clock: number,
  path: string,
  op_type: SyncOpMessage['op_type'] = 'create',
): SyncOpMessage {
  return { type: 'sync_op', clock, op_type, path };
}

function deltaOp(clock: number, fields: Partial<DeltaOp> = {}): DeltaOp {
  return {
    clock,
    op_type: 'create',
    path: `/f${clock}`,
    owner: 'admin',
    timestamp: '2030-01-01T00:00:00.000Z',
    size: 1,
    ...fields,
  };
}

describe('OpSequencer', () => {
  describe('on the socket', () => {
    it('pairs each sync_op with the file event just before it', () => {
      const sut = new OpSequencer(0);

      const held = sut.accept(created('/a'));
      const step = sut.accept(syncOp(1, '/a'));

      expect(held).toEqual({ kind: 'held' });
      expect(step).toEqual({
        kind: 'deliver',
        op: { clock: 1, op_type: 'create', path: '/a', event: created('/a') },
      });
      expect(sut.clock).toBe(1);
    });

    it('pairs a move by its target path', () => {
      const sut = new OpSequencer(4);
      const moved: FileEventMessage = { type: 'file_moved', from: '/a', to: '/b', owner: 'x' };

      sut.accept(moved);
      const step = sut.accept(syncOp(5, '/b', 'move'));

      expect(step).toMatchObject({ kind: 'deliver', op: { clock: 5, event: moved } });
    });

    it('drops a clock it has delivered already, with its file event', () => {
      const sut = new OpSequencer(3);

      sut.accept(created('/old'));
      const step = sut.accept(syncOp(3, '/old'));

      expect(step).toEqual({ kind: 'duplicate', clock: 3 });
      expect(sut.clock).toBe(3);
    });

    it('reports a skipped clock as a gap and delivers nothing', () => {
      const sut = new OpSequencer(3);

      sut.accept(created('/f5'));
      const step = sut.accept(syncOp(5, '/f5'));

      expect(step).toMatchObject({ kind: 'gap', expected: 4, clock: 5 });
      expect(sut.clock).toBe(3);
    });

    it.each([
      ['no file event before it', [], syncOp(1, '/a')],
      ['a file event of another path', [created('/b')], syncOp(1, '/a')],
      ['a file event of another kind', [created('/a')], syncOp(1, '/a', 'update')],
    ])('reports a sync_op with %s as a gap', (_name, before, sync) => {
      const sut = new OpSequencer(0);
      before.forEach((event) => sut.accept(event));

      const step = sut.accept(sync);

      expect(step).toMatchObject({ kind: 'gap', expected: 1 });
      expect(sut.clock).toBe(0);
    });

    it('does not pair a file event across a new socket', () => {
      const sut = new OpSequencer(0);
      sut.accept(created('/a'));

      sut.forgetHeld();
      const step = sut.accept(syncOp(1, '/a'));

      expect(step.kind).toBe('gap');
    });

    it('passes storage health through without touching the clock or the pair', () => {
      const sut = new OpSequencer(0);
      const health = { type: 'storage_health', healthy: false, backend: 'local' } as const;
      sut.accept(created('/a'));

      const step = sut.accept(health);
      const next = sut.accept(syncOp(1, '/a'));

      expect(step).toEqual({ kind: 'health', health });
      expect(next.kind).toBe('deliver');
    });
  });

  describe('from the delta', () => {
    it('delivers the next clock with the file event the socket would have sent', () => {
      const sut = new OpSequencer(0);

      const step = sut.acceptDelta(deltaOp(1, { size: 7 }));

      expect(step).toEqual({
        kind: 'deliver',
        op: {
          clock: 1,
          op_type: 'create',
          path: '/f1',
          event: { type: 'file_created', path: '/f1', size: 7, owner: 'admin' },
        },
      });
    });

    it('drops what it has seen and reports what it skipped', () => {
      const sut = new OpSequencer(2);

      const steps = [1, 2, 3, 5].map((clock) => sut.acceptDelta(deltaOp(clock)).kind);

      expect(steps).toEqual(['duplicate', 'duplicate', 'deliver', 'gap']);
      expect(sut.clock).toBe(3);
    });

    it('continues after the clock a resync names', () => {
      const sut = new OpSequencer(2);

      sut.restart(40);

      expect(sut.acceptDelta(deltaOp(41)).kind).toBe('deliver');
    });
  });
});

describe('fileEventOf', () => {
  it.each<[DeltaOp['op_type'], Partial<DeltaOp>, FileEventMessage]>([
    ['create', { size: 3 }, { type: 'file_created', path: '/p', size: 3, owner: 'o' }],
    ['update', { size: 4 }, { type: 'file_updated', path: '/p', size: 4, owner: 'o' }],
    ['delete', {}, { type: 'file_deleted', path: '/p', owner: 'o' }],
    ['move', { from: '/q' }, { type: 'file_moved', from: '/q', to: '/p', owner: 'o' }],
    ['share', { token: 't' }, { type: 'file_shared', path: '/p', token: 't', owner: 'o' }],
  ])('builds the %s event from the op', (op_type, fields, expected) => {
    const op = deltaOp(1, { op_type, path: '/p', owner: 'o', size: undefined, ...fields });

    expect(fileEventOf(op)).toEqual(expected);
  });
});
