import { Equals, IsIn, IsInt, Min } from 'class-validator';

import type { OpType, SyncOp } from '../ferro-events.js';
import { WirePath } from './wire-fields.js';

export const OP_TYPES: readonly OpType[] = ['create', 'update', 'delete', 'move', 'share'];

/**
 * Sent for every operation recorded in the sync log. `clock` is the same
 * value `/api/sync/delta` and the SSE stream use, so a client can resume
 * from the last one it saw.
 */
export class SyncOpDto {
  @Equals('sync_op')
  readonly type = 'sync_op';

  @IsInt()
  @Min(1)
  readonly clock: number;

  @IsIn(OP_TYPES)
  readonly op_type: OpType;

  @WirePath()
  readonly path: string;

  constructor(op: SyncOp) {
    this.clock = op.clock;
    this.op_type = op.op_type;
    this.path = op.path;
  }
}
