import { Injectable } from '@nestjs/common';

/**
 * The one serialisation point of every file mutation: the existence check,
 * the commit on the backend and the domain event run inside `run` one task at
 * a time, in the order the tasks arrived.
 *
 * Listeners of the domain events (the sync log assigns its clock there) run
 * synchronously inside `emit`, so events leave in commit order and a clock is
 * never taken for an operation that is still in flight (case C05).
 *
 * Keep tasks short: stream uploads into staging before calling `run`.
 */
@Injectable()
export class CommitLock {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /** Tasks running or waiting; 0 when the lock is free. */
  get pending(): number {
    return this.queued;
  }

  /**
   * Runs `task` after every task queued before it has settled, and settles
   * with its result. A task that fails does not stop the ones behind it.
   */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.queued += 1;
    const result = this.tail
      .then(() => task())
      .finally(() => {
        this.queued -= 1;
      });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
