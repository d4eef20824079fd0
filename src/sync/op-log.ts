import { randomUUID } from 'node:crypto';

import type { SyncOp } from '../events/ferro-events.js';

/** An op as it is handed to the log, before the log gives it a clock. */
export type NewSyncOp = Omit<SyncOp, 'clock'>;

/**
 * The ordered record of sync ops. Clocks start at 1, grow by one per op and
 * are never reused, so the ops held always form one contiguous run from
 * `oldestClock` to `currentClock`.
 *
 * `append` is synchronous on purpose: the sync service assigns the clock,
 * appends and announces the op inside one call, so no other op can slip in
 * between. A durable implementation must keep that property.
 */
export abstract class OpLog {
  /**
   * Names this log. It changes whenever the log is replaced or starts over
   * (for the in-memory log: every start), so a client can tell that the
   * clock it holds belongs to a log that no longer exists.
   */
  abstract readonly epoch: string;

  /** Clock of the newest op, 0 while nothing was ever appended. */
  abstract get currentClock(): number;

  /** Clock of the oldest op still held; `currentClock + 1` when none is. */
  abstract get oldestClock(): number;

  /** Gives the op the next clock, stores it, and returns the stored op. */
  abstract append(op: NewSyncOp): SyncOp;

  /** Ops with a clock above `clock`, ascending, at most `limit` of them. */
  abstract since(clock: number, limit: number): SyncOp[];
}

/**
 * An in-process log that keeps the newest `maxOps` ops in a ring buffer and
 * drops the oldest first. Because clocks are contiguous, an op is found by
 * arithmetic (`clock - oldestClock` slots past the head), so `since` costs
 * what it returns, not what the log holds.
 */
export class MemoryOpLog extends OpLog {
  readonly epoch = randomUUID();
  private readonly ring: SyncOp[] = [];
  /** Slot of the oldest op held. */
  private head = 0;
  private size = 0;
  private clock = 0;

  constructor(private readonly maxOps: number) {
    super();
    if (!Number.isSafeInteger(maxOps) || maxOps < 1) {
      throw new TypeError(`maxOps must be a positive integer, got ${maxOps}`);
    }
  }

  get currentClock(): number {
    return this.clock;
  }

  get oldestClock(): number {
    return this.clock - this.size + 1;
  }

  append(op: NewSyncOp): SyncOp {
    // Frozen because the same object is served to every reader and sent to
    // every client; nobody may change history after the fact.
    const entry: SyncOp = Object.freeze({ clock: this.clock + 1, ...op });
    this.ring[(this.head + this.size) % this.maxOps] = entry;
    if (this.size < this.maxOps) {
      this.size += 1;
    } else {
      this.head = (this.head + 1) % this.maxOps;
    }

    this.clock = entry.clock;
    return entry;
  }

  since(clock: number, limit: number): SyncOp[] {
    const first = Math.max(clock + 1, this.oldestClock);
    const last = Math.min(this.clock, first + limit - 1);
    const ops: SyncOp[] = [];
    for (let at = first; at <= last; at += 1) {
      ops.push(this.ring[(this.head + at - this.oldestClock) % this.maxOps]);
    }
    return ops;
  }
}
