import { MemoryOpLog } from './op-log.js';
import type { NewSyncOp } from './op-log.js';

function newOp(path = '/a.txt'): NewSyncOp {
  return {
    op_type: 'create',
    path,
    owner: 'admin',
    timestamp: '2030-01-01T00:00:00.000Z',
    size: 1,
  };
}

function fill(sut: MemoryOpLog, count: number): void {
  for (let i = 1; i <= count; i += 1) {
    sut.append(newOp(`/f${i}`));
  }
}

function clocksOf(ops: { clock: number }[]): number[] {
  return ops.map((op) => op.clock);
}

describe('MemoryOpLog', () => {
  it('starts empty at clock 0 with the oldest clock one past it', () => {
    const sut = new MemoryOpLog(3);

    expect(sut.currentClock).toBe(0);
    expect(sut.oldestClock).toBe(1);
    expect(sut.since(0, 10)).toEqual([]);
  });

  it('gives each appended op the next clock and stores it frozen', () => {
    const sut = new MemoryOpLog(3);

    const first = sut.append(newOp('/one'));
    const second = sut.append(newOp('/two'));

    expect([first.clock, second.clock]).toEqual([1, 2]);
    expect(second).toEqual({ clock: 2, ...newOp('/two') });
    expect(Object.isFrozen(first)).toBe(true);
    expect(sut.currentClock).toBe(2);
  });

  it('drops the oldest ops first once it holds maxOps', () => {
    const sut = new MemoryOpLog(3);

    fill(sut, 5);

    expect(sut.currentClock).toBe(5);
    expect(sut.oldestClock).toBe(3);
    expect(clocksOf(sut.since(0, 10))).toEqual([3, 4, 5]);
  });

  it('keeps serving ops by clock after wrapping around the ring many times', () => {
    const sut = new MemoryOpLog(4);

    fill(sut, 4 * 7 + 2);

    expect(clocksOf(sut.since(26, 10))).toEqual([27, 28, 29, 30]);
    expect(sut.since(28, 1).map((op) => op.path)).toEqual(['/f29']);
  });

  it.each([
    { since: 0, limit: 2, clocks: [1, 2] },
    { since: 2, limit: 2, clocks: [3, 4] },
    { since: 4, limit: 10, clocks: [5] },
    { since: 5, limit: 10, clocks: [] },
    { since: 9, limit: 10, clocks: [] },
    { since: 1, limit: 0, clocks: [] },
  ])('returns at most $limit ops after $since in clock order', ({ since, limit, clocks }) => {
    const sut = new MemoryOpLog(10);
    fill(sut, 5);

    const ops = sut.since(since, limit);

    expect(clocksOf(ops)).toEqual(clocks);
  });

  it('costs what since returns, not what the log holds', () => {
    const sut = new MemoryOpLog(100_000);
    fill(sut, 100_000);
    const started = performance.now();

    for (let i = 0; i < 10_000; i += 1) {
      sut.since(50_000 + i, 2);
    }

    expect(performance.now() - started).toBeLessThan(200);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses maxOps %s', (maxOps) => {
    const act = () => new MemoryOpLog(maxOps);

    expect(act).toThrow(TypeError);
  });
});
