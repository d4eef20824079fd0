import { Equals } from 'class-validator';

import type { FileWrittenEvent } from '../ferro-events.js';
import { WireOwner, WirePath, WireSize } from './wire-fields.js';

/** Sent when a new file is uploaded or created. */
export class FileCreatedDto {
  @Equals('file_created')
  readonly type = 'file_created';

  @WirePath()
  readonly path: string;

  @WireSize()
  readonly size: number;

  @WireOwner()
  readonly owner: string;

  constructor(event: FileWrittenEvent) {
    this.path = event.path;
    this.size = event.size;
    this.owner = event.owner;
  }
}
