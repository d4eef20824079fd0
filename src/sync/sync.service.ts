import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';

import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';
import { isWireOwner, isWirePath } from '../events/dto/wire-fields.js';
import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import type {
  FerroEventName,
  FileDeletedEvent,
  FileMovedEvent,
  FileSharedEvent,
  FileWrittenEvent,
  OpType,
  SyncOp,
} from '../events/ferro-events.js';
import { OpFollower } from './op-follower.js';
import type { OpConsumer } from './op-follower.js';
import { OpLog } from './op-log.js';
import type { NewSyncOp } from './op-log.js';

/** Body of `GET /api/sync/delta`. */
export interface SyncDelta {
  /** The log's epoch: send it back as `epoch` so a reset log is noticed. */
  epoch: string;
  /** Clock of the newest op in the log. */
  current_clock: number;
  /** Clock of the oldest op still held; a cursor below `oldest_clock - 1` has expired. */
  oldest_clock: number;
  /** Ops after the cursor, ascending by clock. */
  ops: SyncOp[];
  count: number;
  /** More ops follow the last one returned: ask again from its clock. */
  has_more: boolean;
}

/** Ends a follow. `resume` restarts delivery after the consumer returned `false`. */
export interface Unsubscribe {
  (): void;
  resume(): void;
}

type OpFields = Pick<SyncOp, 'from' | 'size' | 'token'>;

/**
 * The single serialisation point of the sync log. It listens to the domain
 * events, gives each op the next clock, appends it and only then announces
 * it as `sync.op`, all inside the emit of the domain event: nothing awaits
 * between the clock and the append, so clocks reach every reader in order
 * (case C05). A host that emits the `file.*` events itself gets the same.
 */
@Injectable()
export class SyncService {
  private readonly logger = new Logger(SyncService.name);
  private readonly followers = new Set<OpFollower>();

  constructor(
    private readonly log: OpLog,
    private readonly bus: FerroEventBus,
  ) {}

  get currentClock(): number {
    return this.log.currentClock;
  }

  /** Follows that are currently subscribed. */
  get followerCount(): number {
    return this.followers.size;
  }

  @OnEvent(FerroEvent.FileCreated)
  onFileCreated(event: FileWrittenEvent): void {
    this.record(FerroEvent.FileCreated, writtenOp('create', event));
  }

  @OnEvent(FerroEvent.FileUpdated)
  onFileUpdated(event: FileWrittenEvent): void {
    this.record(FerroEvent.FileUpdated, writtenOp('update', event));
  }

  @OnEvent(FerroEvent.FileDeleted)
  onFileDeleted(event: FileDeletedEvent): void {
    this.record(FerroEvent.FileDeleted, newOp('delete', event?.path, event?.owner, {}));
  }

  @OnEvent(FerroEvent.FileMoved)
  onFileMoved(event: FileMovedEvent): void {
    this.record(FerroEvent.FileMoved, movedOp(event));
  }

  @OnEvent(FerroEvent.FileShared)
  onFileShared(event: FileSharedEvent): void {
    this.record(FerroEvent.FileShared, sharedOp(event));
  }

  /**
   * Ops after `since` (from the oldest op held when there is no cursor), at
   * most `limit`. Throws 410 when the cursor cannot be served exactly, so a
   * client never mistakes a partial list for all.
   */
  delta(cursor: number | undefined, limit: number, epoch?: string): SyncDelta {
    const since = cursor ?? this.log.oldestClock - 1;
    this.validateCursor(since, epoch);
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw FerroError.badRequest(ErrorCode.InvalidLimit, 'limit must be a positive integer');
    }

    const ops = this.log.since(since, limit);
    const current = this.log.currentClock;
    return {
      epoch: this.log.epoch,
      current_clock: current,
      oldest_clock: this.log.oldestClock,
      ops,
      count: ops.length,
      has_more: since + ops.length < current,
    };
  }

  /**
   * Throws unless every op after `since` is still in the log: 400 for a
   * value that is no clock, 410 `cursor_expired` when ops after it were
   * dropped, 410 `cursor_unknown` when it is ahead of this log (it came
   * from another log, or `epoch` names another log; the client must resync).
   */
  validateCursor(since: number, epoch?: string): void {
    if (!Number.isSafeInteger(since) || since < 0) {
      throw FerroError.badRequest(ErrorCode.InvalidCursor, 'since must be a non-negative integer');
    }

    const current = this.log.currentClock;
    if (since > current || (epoch !== undefined && epoch !== this.log.epoch)) {
      throw new FerroError(
        HttpStatus.GONE,
        ErrorCode.CursorUnknown,
        'The cursor belongs to another sync log; resync from scratch',
        { epoch: this.log.epoch, current_clock: current },
      );
    }

    if (since < this.log.oldestClock - 1) {
      throw this.expired();
    }
  }

  /**
   * Delivers every op after `since` in clock order (only new ones when
   * there is no cursor), then each new op as it is recorded, with no gap
   * and no duplicate. The first page of the replay is delivered before
   * this returns, the rest one page per turn of the event loop. `onLost`
   * is called (and the follow ends) if the consumer paused so long that
   * ops it has not seen left the log.
   */
  follow(
    cursor: number | undefined,
    consumer: OpConsumer,
    onLost?: (error: FerroError) => void,
  ): Unsubscribe {
    const since = cursor ?? this.log.currentClock;
    this.validateCursor(since);

    const follower = new OpFollower(this.log, since, consumer, () => {
      this.followers.delete(follower);
      onLost?.(this.expired());
    });
    this.followers.add(follower);
    const unsubscribe = (): void => {
      follower.stop();
      this.followers.delete(follower);
    };

    try {
      follower.pump();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return Object.assign(unsubscribe, { resume: () => follower.resume() });
  }

  private record(event: FerroEventName, op: NewSyncOp | undefined): void {
    if (!op) {
      this.logger.warn(`ignored a malformed ${event} event`);
      return;
    }

    const entry = this.log.append(op);
    this.announce(entry);
    this.pumpFollowers();
  }

  /**
   * The op is committed by now, so a failing `sync.op` listener is logged
   * here rather than thrown back at the file operation that succeeded.
   */
  private announce(op: SyncOp): void {
    try {
      this.bus.emit(FerroEvent.SyncOp, op);
    } catch (error) {
      this.logger.error(`a sync.op listener threw at clock ${op.clock}`, stackOf(error));
    }
  }

  /** A follower whose consumer throws is dropped, for the same reason. */
  private pumpFollowers(): void {
    for (const follower of this.followers) {
      try {
        follower.pump();
      } catch (error) {
        follower.stop();
        this.followers.delete(follower);
        this.logger.error('dropped a sync follower that threw', stackOf(error));
      }
    }
  }

  private expired(): FerroError {
    return new FerroError(
      HttpStatus.GONE,
      ErrorCode.CursorExpired,
      'The cursor is older than the ops this sync log keeps; resync from scratch',
      {
        epoch: this.log.epoch,
        oldest_clock: this.log.oldestClock,
        current_clock: this.log.currentClock,
      },
    );
  }
}

function writtenOp(opType: OpType, event: FileWrittenEvent): NewSyncOp | undefined {
  const size = event?.size;
  if (!Number.isSafeInteger(size) || size < 0) {
    return undefined;
  }

  return newOp(opType, event.path, event.owner, { size });
}

function movedOp(event: FileMovedEvent): NewSyncOp | undefined {
  if (!isWirePath(event?.from)) {
    return undefined;
  }

  return newOp('move', event.to, event.owner, { from: event.from });
}

function sharedOp(event: FileSharedEvent): NewSyncOp | undefined {
  if (typeof event?.token !== 'string' || event.token === '') {
    return undefined;
  }

  return newOp('share', event.path, event.owner, { token: event.token });
}

/**
 * The op for an event, or undefined when the event lacks what every op
 * needs. Host backends emit these events too, and a malformed one must not
 * take a clock value that no client could ever make sense of: what the
 * gateway would refuse to send (a path with NUL, an empty owner) is
 * refused here, before it gets one.
 */
function newOp(
  opType: OpType,
  path: unknown,
  owner: unknown,
  fields: OpFields,
): NewSyncOp | undefined {
  if (!isWirePath(path) || !isWireOwner(owner)) {
    return undefined;
  }

  return { op_type: opType, path, ...fields, owner, timestamp: new Date().toISOString() };
}

function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
