import { Equals, IsNotEmpty, IsString } from 'class-validator';

import type { FileSharedEvent } from '../ferro-events.js';
import { WireOwner, WirePath } from './wire-fields.js';

/** Sent when a share link is created for a file. */
export class FileSharedDto {
  @Equals('file_shared')
  readonly type = 'file_shared';

  @WirePath()
  readonly path: string;

  @IsString()
  @IsNotEmpty()
  readonly token: string;

  @WireOwner()
  readonly owner: string;

  constructor(event: FileSharedEvent) {
    this.path = event.path;
    this.token = event.token;
    this.owner = event.owner;
  }
}
