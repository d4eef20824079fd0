import type { FactoryProvider } from '@nestjs/common';

import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { MemoryOpLog, OpLog } from './op-log.js';
import { SqliteOpLog } from './sqlite-op-log.js';

/**
 * Provides the {@link OpLog} the sync service writes to, bounded by
 * `syncMaxOps`. Files on disk outlive the process, so their log does too:
 * SQLite under `dataDir`. Files in memory vanish with a restart, and so
 * must the log that describes them.
 *
 * The SQLite log closes its database in `onApplicationShutdown`, which Nest
 * runs after the gateway's `beforeApplicationShutdown` and after the HTTP
 * server has stopped, so nothing appends to a closed database.
 */
export const opLogProvider: FactoryProvider<OpLog> = {
  provide: OpLog,
  inject: [FERRO_OPTIONS],
  useFactory: ({ storage, dataDir, syncMaxOps }: FerroRealtimeOptions): OpLog =>
    storage === 'memory' ? new MemoryOpLog(syncMaxOps) : SqliteOpLog.open(dataDir, syncMaxOps),
};
