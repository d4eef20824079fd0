import { Equals } from 'class-validator';

import type { FileWrittenEvent } from '../ferro-events.js';
import { WireOwner, WirePath, WireSize } from './wire-fields.js';

/** Sent when the content of an existing file is replaced. */
export class FileUpdatedDto {
  @Equals('file_updated')
  readonly type = 'file_updated';

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
