/**
 * Domain events inside the process. These names and payloads are internal:
 * the wire shapes clients see live in `./dto` and are built from these by
 * the gateway, so renaming a field here never changes what clients receive.
 *
 * A host backend with its own storage emits the `file.*` events on the same
 * EventEmitter2 and gets the same sync log and WebSocket behaviour.
 */
export const FerroEvent = {
  FileCreated: 'file.created',
  FileUpdated: 'file.updated',
  FileDeleted: 'file.deleted',
  FileMoved: 'file.moved',
  FileShared: 'file.shared',
  SyncOp: 'sync.op',
  StorageHealth: 'storage.health',
} as const;

export type FerroEventName = (typeof FerroEvent)[keyof typeof FerroEvent];

export interface FileWrittenEvent {
  path: string;
  size: number;
  owner: string;
}

export interface FileDeletedEvent {
  path: string;
  owner: string;
}

export interface FileMovedEvent {
  from: string;
  to: string;
  owner: string;
}

export interface FileSharedEvent {
  path: string;
  token: string;
  owner: string;
}

export type OpType = 'create' | 'update' | 'delete' | 'move' | 'share';

/**
 * One entry of the sync log. `path` is where the file is after the op (the
 * target of a move); the fields that only some ops have are optional.
 */
export interface SyncOp {
  clock: number;
  op_type: OpType;
  path: string;
  owner: string;
  /** ISO 8601 time at which the op was recorded. */
  timestamp: string;
  /** Source path of a move. */
  from?: string;
  /** Byte size after a create or update. */
  size?: number;
  /** Share token of a share. */
  token?: string;
}

export interface StorageHealthEvent {
  healthy: boolean;
  backend: string;
}

/** Payload type of every domain event, keyed by event name. */
export interface FerroEventMap {
  [FerroEvent.FileCreated]: FileWrittenEvent;
  [FerroEvent.FileUpdated]: FileWrittenEvent;
  [FerroEvent.FileDeleted]: FileDeletedEvent;
  [FerroEvent.FileMoved]: FileMovedEvent;
  [FerroEvent.FileShared]: FileSharedEvent;
  [FerroEvent.SyncOp]: SyncOp;
  [FerroEvent.StorageHealth]: StorageHealthEvent;
}
