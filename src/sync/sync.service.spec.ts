import { Logger } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';

import { FerroError } from '../common/ferro.error.js';
import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import type { SyncOp } from '../events/ferro-events.js';
import { MemoryOpLog, OpLog } from './op-log.js';
import { SyncService } from './sync.service.js';

const NOW = '2030-05-06T07:08:09.000Z';

/** The service wired through Nest, so the `@OnEvent` decorators are what is tested. */
async function setup(maxOps = 100) {
  const moduleRef = await Test.createTestingModule({
    imports: [EventEmitterModule.forRoot()],
    providers: [SyncService, FerroEventBus, { provide: OpLog, useValue: new MemoryOpLog(maxOps) }],
  }).compile();
  await moduleRef.init();
  const emitter = moduleRef.get(EventEmitter2);
  return { moduleRef, emitter, sut: moduleRef.get(SyncService) };
}

function created(path: string, size = 10) {
  return { path, size, owner: 'admin' };
}

function emitCreates(emitter: EventEmitter2, count: number): void {
  for (let i = 1; i <= count; i += 1) {
    emitter.emit(FerroEvent.FileCreated, created(`/f${i}`));
  }
}

function clocksOf(ops: SyncOp[]): number[] {
  return ops.map((op) => op.clock);
}

function thrown(act: () => unknown): FerroError {
  try {
    act();
  } catch (error) {
    if (error instanceof FerroError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a FerroError, nothing was thrown');
}

describe('SyncService', () => {
  let moduleRef: TestingModule;
  let emitter: EventEmitter2;
  let sut: SyncService;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    ({ moduleRef, emitter, sut } = await setup());
  });

  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await moduleRef.close();
  });

  describe('recording', () => {
    it.each([
      {
        event: FerroEvent.FileCreated,
        payload: { path: '/a.txt', size: 12, owner: 'ann' },
        op: { op_type: 'create', path: '/a.txt', size: 12, owner: 'ann' },
      },
      {
        event: FerroEvent.FileUpdated,
        payload: { path: '/a.txt', size: 0, owner: 'ann' },
        op: { op_type: 'update', path: '/a.txt', size: 0, owner: 'ann' },
      },
      {
        event: FerroEvent.FileDeleted,
        payload: { path: '/dir', owner: 'bob' },
        op: { op_type: 'delete', path: '/dir', owner: 'bob' },
      },
      {
        event: FerroEvent.FileMoved,
        payload: { from: '/a.txt', to: '/b/a.txt', owner: 'ann' },
        op: { op_type: 'move', path: '/b/a.txt', from: '/a.txt', owner: 'ann' },
      },
      {
        event: FerroEvent.FileShared,
        payload: { path: '/a.txt', token: 'tok123', owner: 'ann' },
        op: { op_type: 'share', path: '/a.txt', token: 'tok123', owner: 'ann' },
      },
    ])('turns $event into a $op.op_type op', ({ event, payload, op }) => {
      const announced: SyncOp[] = [];
      emitter.on(FerroEvent.SyncOp, (entry: SyncOp) => announced.push(entry));

      emitter.emit(event, payload);

      expect(announced).toEqual([{ clock: 1, ...op, timestamp: NOW }]);
      expect(sut.delta(0, 10).ops).toEqual(announced);
    });

    it('gives clocks 1, 2, 3 in emit order and appends before announcing', () => {
      const seen: Array<[number, number]> = [];
      emitter.on(FerroEvent.SyncOp, (op: SyncOp) => seen.push([op.clock, sut.currentClock]));

      emitCreates(emitter, 3);

      expect(seen).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
    });

    it('has recorded the op by the time emit returns', () => {
      emitter.emit(FerroEvent.FileCreated, created('/now.txt'));

      expect(sut.currentClock).toBe(1);
    });

    it.each([
      { event: FerroEvent.FileCreated, payload: { path: '/a', owner: 'ann' } },
      { event: FerroEvent.FileCreated, payload: { path: '/a', size: -1, owner: 'ann' } },
      { event: FerroEvent.FileUpdated, payload: { path: 'a', size: 1, owner: 'ann' } },
      { event: FerroEvent.FileDeleted, payload: { path: '/a' } },
      { event: FerroEvent.FileDeleted, payload: undefined },
      { event: FerroEvent.FileMoved, payload: { to: '/b', owner: 'ann' } },
      { event: FerroEvent.FileMoved, payload: { from: '/a', owner: 'ann' } },
      { event: FerroEvent.FileShared, payload: { path: '/a', token: '', owner: 'ann' } },
      { event: FerroEvent.FileCreated, payload: { path: '/a', size: 1, owner: '' } },
      { event: FerroEvent.FileCreated, payload: { path: '/a\u0000b', size: 1, owner: 'ann' } },
      { event: FerroEvent.FileMoved, payload: { from: '/a\u0000', to: '/b', owner: 'ann' } },
      { event: FerroEvent.FileCreated, payload: { path: '/lone\ud800', size: 1, owner: 'ann' } },
      { event: FerroEvent.FileDeleted, payload: { path: '/a', owner: 'bob\udc00' } },
    ])('takes no clock for a malformed $event: $payload', ({ event, payload }) => {
      const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

      emitter.emit(event, payload);

      expect(sut.currentClock).toBe(0);
      expect(warn).toHaveBeenCalledWith(`ignored a malformed ${event} event`);
    });

    it('keeps the op and the emitter working when a sync.op listener throws', () => {
      const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      emitter.on(FerroEvent.SyncOp, () => {
        throw new Error('broken gateway');
      });

      const act = () => emitCreates(emitter, 2);

      expect(act).not.toThrow();
      expect(sut.currentClock).toBe(2);
      expect(logged).toHaveBeenCalledTimes(2);
    });
  });

  describe('delta', () => {
    it('pages through the log with has_more until caught up', () => {
      emitCreates(emitter, 5);

      const pages = [sut.delta(0, 2), sut.delta(2, 2), sut.delta(4, 2), sut.delta(5, 2)];

      expect(pages.map((page) => clocksOf(page.ops))).toEqual([[1, 2], [3, 4], [5], []]);
      expect(pages.map((page) => page.has_more)).toEqual([true, true, false, false]);
      expect(pages.map((page) => page.count)).toEqual([2, 2, 1, 0]);
      expect(pages[0]).toMatchObject({ current_clock: 5, oldest_clock: 1 });
    });

    it('answers an empty log from 0 with nothing', () => {
      const delta = sut.delta(0, 10);

      expect(delta).toEqual({
        epoch: expect.any(String),
        current_clock: 0,
        oldest_clock: 1,
        ops: [],
        count: 0,
        has_more: false,
      });
    });

    it('serves the cursor just before the oldest op kept', async () => {
      await moduleRef.close();
      ({ moduleRef, emitter, sut } = await setup(3));
      emitCreates(emitter, 5);

      const delta = sut.delta(2, 10);

      expect(clocksOf(delta.ops)).toEqual([3, 4, 5]);
    });

    it.each([0, 1])(
      'answers 410 cursor_expired for since=%s once ops after it were dropped',
      async (since) => {
        await moduleRef.close();
        ({ moduleRef, emitter, sut } = await setup(3));
        emitCreates(emitter, 5);

        const error = thrown(() => sut.delta(since, 10));

        expect(error.status).toBe(410);
        expect(error.code).toBe('cursor_expired');
        expect(error.details).toEqual({
          epoch: expect.any(String),
          oldest_clock: 3,
          current_clock: 5,
        });
      },
    );

    it.each([
      { ops: 0, since: 1 },
      { ops: 5, since: 6 },
      { ops: 5, since: 999_999_999 },
    ])('answers 410 cursor_unknown for since=$since at clock $ops', ({ ops, since }) => {
      emitCreates(emitter, ops);

      const error = thrown(() => sut.delta(since, 10));

      expect(error.status).toBe(410);
      expect(error.code).toBe('cursor_unknown');
      expect(error.details).toEqual({ epoch: expect.any(String), current_clock: ops });
    });

    it.each([
      { since: -1, limit: 10, code: 'invalid_cursor' },
      { since: 1.5, limit: 10, code: 'invalid_cursor' },
      { since: Number.NaN, limit: 10, code: 'invalid_cursor' },
      { since: 0, limit: 0, code: 'invalid_limit' },
      { since: 0, limit: 2.5, code: 'invalid_limit' },
    ])('answers 400 $code for since=$since limit=$limit', ({ since, limit, code }) => {
      const error = thrown(() => sut.delta(since, limit));

      expect(error.status).toBe(400);
      expect(error.code).toBe(code);
    });
  });

  describe('follow', () => {
    it('replays the ops after the cursor, then delivers live ones', () => {
      emitCreates(emitter, 3);
      const delivered: number[] = [];

      const unsubscribe = sut.follow(1, (op) => void delivered.push(op.clock));
      emitCreates(emitter, 2);
      unsubscribe();

      expect(delivered).toEqual([2, 3, 4, 5]);
    });

    it('replays a long backlog one page per turn, leaving the event loop free between', async () => {
      await moduleRef.close();
      ({ moduleRef, emitter, sut } = await setup(2000));
      emitCreates(emitter, 1000);
      const delivered: number[] = [];

      const unsubscribe = sut.follow(0, (op) => void delivered.push(op.clock));
      const afterReturn = delivered.length;
      await new Promise((resolve) => setImmediate(resolve));
      const afterOneTurn = delivered.length;
      emitCreates(emitter, 1);
      await vi.waitFor(() => expect(delivered).toHaveLength(1001));
      unsubscribe();

      expect(afterReturn).toBe(256);
      expect(afterOneTurn).toBe(512);
      expect(delivered).toEqual(Array.from({ length: 1001 }, (_, i) => i + 1));
    });

    it('has no gap and no duplicate when ops are emitted during the replay', () => {
      emitCreates(emitter, 5);
      const delivered: number[] = [];

      const unsubscribe = sut.follow(0, (op) => {
        delivered.push(op.clock);
        if (op.clock <= 3) {
          emitter.emit(FerroEvent.FileUpdated, created(`/during-${op.clock}`));
        }
      });
      emitCreates(emitter, 1);
      unsubscribe();

      expect(delivered).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('holds delivery while the consumer is full and resumes in order', () => {
      const delivered: number[] = [];
      const unsubscribe = sut.follow(0, (op) => {
        delivered.push(op.clock);
        return op.clock !== 2;
      });

      emitCreates(emitter, 4);
      const whilePaused = [...delivered];
      unsubscribe.resume();
      unsubscribe();

      expect(whilePaused).toEqual([1, 2]);
      expect(delivered).toEqual([1, 2, 3, 4]);
    });

    it('ends a paused follow with cursor_expired when its next op leaves the log', async () => {
      await moduleRef.close();
      ({ moduleRef, emitter, sut } = await setup(3));
      const onLost = vi.fn();
      const delivered: number[] = [];
      const unsubscribe = sut.follow(0, (op) => delivered.push(op.clock) < 0, onLost);

      emitCreates(emitter, 5);
      unsubscribe.resume();

      expect(delivered).toEqual([1]);
      expect(onLost).toHaveBeenCalledTimes(1);
      expect(onLost.mock.calls[0][0]).toMatchObject({ status: 410, code: 'cursor_expired' });
      expect(sut.followerCount).toBe(0);
    });

    it('stops delivering and releases everything it added on unsubscribe', () => {
      const listenersBefore = emitter.listenerCount();
      const delivered: number[] = [];

      const unsubscribe = sut.follow(0, (op) => void delivered.push(op.clock));
      emitCreates(emitter, 1);
      unsubscribe();
      unsubscribe();
      emitCreates(emitter, 1);

      expect(delivered).toEqual([1]);
      expect(sut.followerCount).toBe(0);
      expect(emitter.listenerCount()).toBe(listenersBefore);
    });

    it('returns listener and follower counts to the start after many follows', () => {
      const listenersBefore = emitter.listenerCount();

      const stops = Array.from({ length: 500 }, () => sut.follow(0, () => undefined));
      emitCreates(emitter, 2);
      stops.forEach((stop) => stop());

      expect(sut.followerCount).toBe(0);
      expect(emitter.listenerCount()).toBe(listenersBefore);
    });

    it('refuses a bad cursor before subscribing', () => {
      emitCreates(emitter, 2);

      const error = thrown(() => sut.follow(3, () => undefined));

      expect(error.code).toBe('cursor_unknown');
      expect(sut.followerCount).toBe(0);
    });

    it('drops a follower whose consumer throws, keeping the others and the emitter', () => {
      const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const delivered: number[] = [];
      sut.follow(0, () => {
        throw new Error('broken consumer');
      });
      const unsubscribe = sut.follow(0, (op) => void delivered.push(op.clock));

      const act = () => emitCreates(emitter, 2);

      expect(act).not.toThrow();
      expect(delivered).toEqual([1, 2]);
      expect(sut.followerCount).toBe(1);
      expect(logged).toHaveBeenCalledTimes(1);
      unsubscribe();
    });
  });
});
