import type { FactoryProvider } from '@nestjs/common';

import { StorageBackend } from '../files/storage-backend.js';
import { OpLog } from '../sync/op-log.js';
import { SqliteOpLog } from '../sync/sqlite-op-log.js';
import { IntentJournal, NoIntentJournal } from './intent-journal.js';
import { IntentRecovery } from './intent-recovery.js';
import { SqliteIntentJournal } from './sqlite-intent-journal.js';

/**
 * The {@link IntentJournal} of the file service, in the same database as a
 * durable op log; the memory log (memory storage) needs none. Crash recovery
 * runs here, before the journal exists for anyone: the file service cannot
 * be built, and so no request served, until storage and log agree again.
 */
export const intentJournalProvider: FactoryProvider<IntentJournal> = {
  provide: IntentJournal,
  inject: [OpLog, StorageBackend],
  useFactory: async (log: OpLog, storage: StorageBackend) => {
    const journal =
      log instanceof SqliteOpLog
        ? new SqliteIntentJournal(log.database, log)
        : new NoIntentJournal();
    await new IntentRecovery(journal, storage, log).run();
    return journal;
  },
};
