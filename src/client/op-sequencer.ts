import type {
  DeltaOp,
  FileEventMessage,
  OpType,
  StorageHealthMessage,
  SyncOpMessage,
  WireMessage,
} from './wire.types.js';

/** One op as the user receives it, whether it came live or from the delta. */
export interface FerroOp {
  /** Its place in the sync log: each user sees 1, 2, 3, ... once each. */
  clock: number;
  op_type: OpType;
  /** Where the file is after the op (the target of a move). */
  path: string;
  /** The file event, exactly as the socket sends it. */
  event: FileEventMessage;
}

/** What to do with one message or delta entry. */
export type Step =
  | { kind: 'deliver'; op: FerroOp }
  /** Seen already: drop it. */
  | { kind: 'duplicate'; clock: number }
  /** The source skipped ops or broke a pair: stop trusting it and catch up. */
  | { kind: 'gap'; expected: number; clock: number; reason: string }
  | { kind: 'health'; health: StorageHealthMessage }
  /** A file event waiting for the `sync_op` that follows it. */
  | { kind: 'held' };

const EVENT_TYPE: Record<OpType, FileEventMessage['type']> = {
  create: 'file_created',
  update: 'file_updated',
  delete: 'file_deleted',
  move: 'file_moved',
  share: 'file_shared',
};

/**
 * Keeps the last clock delivered and lets only the next one through, so
 * the user sees each op once and in order whatever the sources repeat or
 * skip. On the socket each op is two messages in a row, its file event
 * then its `sync_op`; they are paired back into one op here.
 */
export class OpSequencer {
  private held?: FileEventMessage;

  constructor(private last: number) {}

  /** The clock of the last op delivered. */
  get clock(): number {
    return this.last;
  }

  /** Continues after `clock`, as a resync tells the client to. */
  restart(clock: number): void {
    this.last = clock;
    this.held = undefined;
  }

  /** Drops a file event still waiting for its pair: a new socket starts clean. */
  forgetHeld(): void {
    this.held = undefined;
  }

  /** A message from the socket. */
  accept(message: WireMessage): Step {
    switch (message.type) {
      case 'storage_health':
        return { kind: 'health', health: message };
      case 'sync_op':
        return this.pair(message);
      default:
        this.held = message;
        return { kind: 'held' };
    }
  }

  /** An entry of the delta, which carries everything its file event needs. */
  acceptDelta(op: DeltaOp): Step {
    this.held = undefined;
    const { clock, op_type, path } = op;
    return this.outOfTurn(clock) ?? this.deliver({ clock, op_type, path, event: fileEventOf(op) });
  }

  private pair(sync: SyncOpMessage): Step {
    const event = this.held;
    this.held = undefined;
    const { clock, op_type, path } = sync;
    const outOfTurn = this.outOfTurn(clock);
    if (outOfTurn) {
      return outOfTurn;
    }
    if (!event || !belongsTo(event, sync)) {
      return { kind: 'gap', expected: clock, clock, reason: 'a sync_op without its file event' };
    }

    return this.deliver({ clock, op_type, path, event });
  }

  /** Undefined for the next clock; what to do with any other. */
  private outOfTurn(clock: number): Step | undefined {
    if (clock <= this.last) {
      return { kind: 'duplicate', clock };
    }
    if (clock > this.last + 1) {
      const expected = this.last + 1;
      return { kind: 'gap', expected, clock, reason: `clock ${clock} came before ${expected}` };
    }
    return undefined;
  }

  private deliver(op: FerroOp): Step {
    this.last = op.clock;
    return { kind: 'deliver', op };
  }
}

/** The file event the server sends for an op, built from its log entry. */
export function fileEventOf(op: DeltaOp): FileEventMessage {
  const { path, owner } = op;
  switch (op.op_type) {
    case 'create':
      return { type: 'file_created', path, size: op.size ?? 0, owner };
    case 'update':
      return { type: 'file_updated', path, size: op.size ?? 0, owner };
    case 'delete':
      return { type: 'file_deleted', path, owner };
    case 'move':
      return { type: 'file_moved', from: op.from ?? '', to: path, owner };
    case 'share':
      return { type: 'file_shared', path, token: op.token ?? '', owner };
  }
}

function belongsTo(event: FileEventMessage, sync: SyncOpMessage): boolean {
  const path = event.type === 'file_moved' ? event.to : event.path;
  return event.type === EVENT_TYPE[sync.op_type] && path === sync.path;
}
