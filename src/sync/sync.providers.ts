import type { Provider } from '@nestjs/common';

import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { MemoryOpLog, OpLog } from './op-log.js';

/**
 * Provides the {@link OpLog} the sync service writes to: an in-memory log
 * bounded by `syncMaxOps`. A durable log replaces this one provider.
 */
export const opLogProvider: Provider = {
  provide: OpLog,
  useFactory: (options: FerroRealtimeOptions): OpLog => new MemoryOpLog(options.syncMaxOps),
  inject: [FERRO_OPTIONS],
};
