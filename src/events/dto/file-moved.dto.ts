import { Equals } from 'class-validator';

import type { FileMovedEvent } from '../ferro-events.js';
import { WireOwner, WirePath } from './wire-fields.js';

/** Sent when a file or folder is moved or renamed. */
export class FileMovedDto {
  @Equals('file_moved')
  readonly type = 'file_moved';

  @WirePath()
  readonly from: string;

  @WirePath()
  readonly to: string;

  @WireOwner()
  readonly owner: string;

  constructor(event: FileMovedEvent) {
    this.from = event.from;
    this.to = event.to;
    this.owner = event.owner;
  }
}
