import {
  FileCreatedDto,
  FileDeletedDto,
  FileMovedDto,
  FileSharedDto,
  FileUpdatedDto,
  StorageHealthDto,
  SyncOpDto,
} from './dto/index.js';
import type { StorageHealthEvent, SyncOp } from './ferro-events.js';

/** Every message a client can receive, exactly as the spec shapes it. */
export type WireEvent =
  | FileCreatedDto
  | FileUpdatedDto
  | FileDeletedDto
  | FileMovedDto
  | FileSharedDto
  | SyncOpDto
  | StorageHealthDto;

/** The file event an op stands for, as clients receive it. */
export function fileEventOf(op: SyncOp): WireEvent {
  const { path, owner } = op;
  switch (op.op_type) {
    case 'create':
      return new FileCreatedDto({ path, owner, size: op.size ?? 0 });
    case 'update':
      return new FileUpdatedDto({ path, owner, size: op.size ?? 0 });
    case 'delete':
      return new FileDeletedDto({ path, owner });
    case 'move':
      return new FileMovedDto({ from: op.from ?? '', to: path, owner });
    case 'share':
      return new FileSharedDto({ path, owner, token: op.token ?? '' });
  }
}

/**
 * The messages one op sends, in the order clients receive them: the file
 * event first, then the `sync_op` that carries its clock. A replay from
 * the log produces the same pair as the live path.
 */
export function wireEventsOf(op: SyncOp): [WireEvent, SyncOpDto] {
  return [fileEventOf(op), new SyncOpDto(op)];
}

export function healthEventOf(event: StorageHealthEvent): StorageHealthDto {
  return new StorageHealthDto(event);
}
