import { Equals } from 'class-validator';

import type { FileDeletedEvent } from '../ferro-events.js';
import { WireOwner, WirePath } from './wire-fields.js';

/** Sent when a file or a folder (with everything in it) is deleted. */
export class FileDeletedDto {
  @Equals('file_deleted')
  readonly type = 'file_deleted';

  @WirePath()
  readonly path: string;

  @WireOwner()
  readonly owner: string;

  constructor(event: FileDeletedEvent) {
    this.path = event.path;
    this.owner = event.owner;
  }
}
