import type { FactoryProvider, Provider, Type } from '@nestjs/common';

import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { CommitLock } from './commit-lock.js';
import { FileService } from './file.service.js';
import { FilesController } from './files.controller.js';
import { LocalStorageBackend } from './local-storage.backend.js';
import { MemoryShareStore } from './memory-share.store.js';
import { MemoryStorageBackend } from './memory-storage.backend.js';
import { ShareStore } from './share-store.js';
import { ShareService } from './share.service.js';
import { SharesController } from './shares.controller.js';
import { StorageBackend } from './storage-backend.js';

/** The backend that `options.storage` names, not yet initialised. */
export function createStorageBackend(
  options: Pick<FerroRealtimeOptions, 'storage' | 'dataDir'>,
): StorageBackend {
  return options.storage === 'memory'
    ? new MemoryStorageBackend()
    : new LocalStorageBackend(options.dataDir);
}

/**
 * `StorageBackend` built from the module options and initialised before
 * anything can use it. A host that brings its own backend provides
 * `StorageBackend` itself instead.
 */
export const storageBackendProvider: FactoryProvider<StorageBackend> = {
  provide: StorageBackend,
  inject: [FERRO_OPTIONS],
  useFactory: async (options: FerroRealtimeOptions) => {
    const backend = createStorageBackend(options);
    await backend.init();
    return backend;
  },
};

/**
 * Everything the file routes need besides `FERRO_OPTIONS`, `FerroEventBus`,
 * `AuthService` and the `IntentJournal`. `CommitLock` must stay a single instance: it is the
 * serialisation point of every file operation and share.
 */
export const FILES_PROVIDERS: Provider[] = [
  storageBackendProvider,
  CommitLock,
  FileService,
  { provide: ShareStore, useClass: MemoryShareStore },
  ShareService,
];

export const FILES_CONTROLLERS: Type[] = [FilesController, SharesController];
