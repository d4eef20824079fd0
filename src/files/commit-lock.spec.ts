import { CommitLock } from './commit-lock.js';

/** A task that does not finish until the test says so. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('CommitLock', () => {
  let sut: CommitLock;

  beforeEach(() => {
    sut = new CommitLock();
  });

  it('resolves with the value of the task', async () => {
    const task = async () => 42;

    const result = await sut.run(task);

    expect(result).toBe(42);
  });

  it('runs one task at a time, in the order they arrived', async () => {
    const log: string[] = [];
    const first = gate();

    const runs = [
      sut.run(async () => {
        log.push('first start');
        await first.opened;
        log.push('first end');
      }),
      sut.run(() => {
        log.push('second');
      }),
      sut.run(async () => {
        log.push('third');
      }),
    ];
    await Promise.resolve();
    first.open();
    await Promise.all(runs);

    expect(log).toEqual(['first start', 'first end', 'second', 'third']);
  });

  it('never has two tasks inside at once', async () => {
    let inside = 0;
    let most = 0;
    const task = async () => {
      inside += 1;
      most = Math.max(most, inside);
      await new Promise((resolve) => setImmediate(resolve));
      inside -= 1;
    };

    await Promise.all(Array.from({ length: 20 }, () => sut.run(task)));

    expect(most).toBe(1);
  });

  it('rejects with the error of a failed task and still runs the next one', async () => {
    const failing = sut.run(async () => {
      throw new Error('boom');
    });
    const next = sut.run(() => 'ran');

    const results = await Promise.allSettled([failing, next]);

    expect(results[0]).toMatchObject({ status: 'rejected', reason: new Error('boom') });
    expect(results[1]).toEqual({ status: 'fulfilled', value: 'ran' });
  });

  it('also survives a task that throws synchronously', async () => {
    const failing = sut.run(() => {
      throw new Error('sync');
    });

    await expect(failing).rejects.toThrow('sync');
    await expect(sut.run(() => 'after')).resolves.toBe('after');
  });

  it('counts pending tasks and is free again afterwards', async () => {
    const first = gate();
    const running = sut.run(() => first.opened);
    const waiting = sut.run(() => undefined);

    const pendingWhileBusy = sut.pending;
    first.open();
    await Promise.all([running, waiting]);

    expect(pendingWhileBusy).toBe(2);
    expect(sut.pending).toBe(0);
  });
});
