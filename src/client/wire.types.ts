/**
 * What the server sends, as plain types: the client must bundle for
 * browsers, so it cannot import the server's DTO classes (and their
 * class-validator decorators). `wire.types.spec.ts` checks at compile time
 * that these stay equal to the server's shapes.
 */

export type OpType = 'create' | 'update' | 'delete' | 'move' | 'share';

/** A new file was uploaded or created. */
export interface FileCreatedMessage {
  type: 'file_created';
  path: string;
  size: number;
  owner: string;
}

/** The content of an existing file was replaced. */
export interface FileUpdatedMessage {
  type: 'file_updated';
  path: string;
  size: number;
  owner: string;
}

/** A file or a folder (with everything in it) was deleted. */
export interface FileDeletedMessage {
  type: 'file_deleted';
  path: string;
  owner: string;
}

/** A file or folder was moved or renamed. */
export interface FileMovedMessage {
  type: 'file_moved';
  from: string;
  to: string;
  owner: string;
}

/** A share link was created for a file. */
export interface FileSharedMessage {
  type: 'file_shared';
  path: string;
  token: string;
  owner: string;
}

/** The file event that comes just before each `sync_op`. */
export type FileEventMessage =
  | FileCreatedMessage
  | FileUpdatedMessage
  | FileDeletedMessage
  | FileMovedMessage
  | FileSharedMessage;

/** Gives the file event just before it its place in the sync log. */
export interface SyncOpMessage {
  type: 'sync_op';
  clock: number;
  op_type: OpType;
  /** Where the file is after the op (the target of a move). */
  path: string;
}

/** The storage backend became healthy or unhealthy; it has no clock. */
export interface StorageHealthMessage {
  type: 'storage_health';
  healthy: boolean;
  backend: string;
}

/** Every message the socket carries. */
export type WireMessage = FileEventMessage | SyncOpMessage | StorageHealthMessage;

/** One entry of `GET /api/sync/delta`. */
export interface DeltaOp {
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

/** Body of a `200` from `GET /api/sync/delta`. */
export interface DeltaPage {
  epoch: string;
  current_clock: number;
  oldest_clock: number;
  ops: DeltaOp[];
  count: number;
  has_more: boolean;
}

/**
 * Body of a `410` from the delta endpoint or from `/api/ws?since=`: the
 * client's cursor cannot be served exactly and it must resync.
 */
export interface CursorGoneBody {
  error: string;
  /** Ops after the cursor left the log, or the cursor is from another log. */
  error_code: 'cursor_expired' | 'cursor_unknown';
  epoch: string;
  current_clock: number;
  /** Sent with `cursor_expired` only. */
  oldest_clock?: number;
}

/** Body of a `201` from `POST /api/ws/ticket`. */
export interface TicketBody {
  ticket: string;
  expires_in: number;
}

/** The close code a lagging client is sent: catch up with the delta. */
export const LAGGING_CLOSE_CODE = 4000;
