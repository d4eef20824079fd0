import { Equals, IsBoolean, IsNotEmpty, IsString } from 'class-validator';

import type { StorageHealthEvent } from '../ferro-events.js';

/** Sent when the storage backend becomes healthy or unhealthy. */
export class StorageHealthDto {
  @Equals('storage_health')
  readonly type = 'storage_health';

  @IsBoolean()
  readonly healthy: boolean;

  @IsString()
  @IsNotEmpty()
  readonly backend: string;

  constructor(event: StorageHealthEvent) {
    this.healthy = event.healthy;
    this.backend = event.backend;
  }
}
