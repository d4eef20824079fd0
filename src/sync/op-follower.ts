import type { SyncOp } from '../events/ferro-events.js';
import type { OpLog } from './op-log.js';

/** Ops read from the log per step; bounds the work done before re-checking state. */
const PAGE_SIZE = 256;

/**
 * Receives one op. Returning `false` pauses delivery (the consumer is full)
 * until `resume` is called; anything else asks for the next op.
 */
export type OpConsumer = (op: SyncOp) => boolean | void;

/**
 * One consumer's cursor into the op log. Ops are pulled from the log rather
 * than pushed from the append, so replay and live delivery are one code
 * path: each op after the cursor is delivered exactly once, in clock order,
 * and a paused consumer costs its cursor, never a queue.
 */
export class OpFollower {
  private paused = false;
  private stopped = false;
  /**
   * Set while delivering, so that an op appended by the consumer itself is
   * picked up by the running loop rather than by a nested one.
   */
  private delivering = false;
  /** The next page, scheduled after a full one. */
  private next?: NodeJS.Immediate;

  constructor(
    private readonly log: OpLog,
    private cursor: number,
    private readonly consumer: OpConsumer,
    /** Called once, after stopping, when the ops after the cursor left the log. */
    private readonly onLost: () => void,
  ) {}

  /** Delivers every op after the cursor, until caught up, paused or stopped. */
  pump(): void {
    if (this.delivering || this.paused || this.stopped) {
      return;
    }

    this.delivering = true;
    try {
      this.deliverAll();
    } finally {
      this.delivering = false;
    }
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    clearImmediate(this.next);
    this.next = undefined;
  }

  /**
   * Delivers one page, and when it was full schedules the next for the
   * next turn of the event loop, so that replaying a long backlog to a fast
   * consumer never holds the loop for more than a page.
   */
  private deliverAll(): void {
    const ops = this.nextPage();
    for (const op of ops) {
      this.cursor = op.clock;
      this.paused = this.consumer(op) === false;
      if (this.paused || this.stopped) {
        return;
      }
    }
    if (ops.length === PAGE_SIZE) {
      this.next ??= setImmediate(() => {
        this.next = undefined;
        this.pump();
      });
    }
  }

  private nextPage(): SyncOp[] {
    if (this.stopped) {
      return [];
    }

    // Only a consumer that paused for longer than the log's retention gets
    // here; skipping ahead would hide ops from it, so it is told instead.
    if (this.log.oldestClock > this.cursor + 1) {
      this.stopped = true;
      this.onLost();
      return [];
    }

    return this.log.since(this.cursor, PAGE_SIZE);
  }
}
