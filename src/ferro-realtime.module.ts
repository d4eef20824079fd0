import { Module } from '@nestjs/common';
import type { DynamicModule, Provider } from '@nestjs/common';

import { AuthService } from './auth/auth.service.js';
import { FerroAuthGuard } from './auth/auth.guard.js';
import { FerroEventBus } from './events/ferro-event-bus.js';
import { FERRO_OPTIONS, withDefaults } from './ferro-realtime.options.js';
import type {
  FerroRealtimeAsyncOptions,
  FerroRealtimeOptions,
} from './ferro-realtime.options.js';
import { FileService } from './files/file.service.js';
import { FilesController } from './files/files.controller.js';
import { LocalStorageBackend } from './files/local-storage.backend.js';
import { MemoryStorageBackend } from './files/memory-storage.backend.js';
import { ShareService } from './files/share.service.js';
import { SharesController } from './files/shares.controller.js';
import { StorageBackend } from './files/storage-backend.js';
import { EventsGateway } from './gateway/events.gateway.js';
import { UpgradeVerifier } from './gateway/upgrade-verifier.js';
import { WireEncoder } from './gateway/wire-encoder.js';
import { WsUpgradeController } from './gateway/ws-upgrade.controller.js';
import { HealthController } from './health/health.controller.js';
import { StorageHealthMonitor } from './health/storage-health.monitor.js';
import { MemoryOpLog, OpLog } from './sync/op-log.js';
import { SyncController } from './sync/sync.controller.js';
import { SyncService } from './sync/sync.service.js';

const storageProvider: Provider = {
  provide: StorageBackend,
  inject: [FERRO_OPTIONS],
  useFactory: async (options: FerroRealtimeOptions): Promise<StorageBackend> => {
    const backend =
      options.storage === 'memory'
        ? new MemoryStorageBackend()
        : new LocalStorageBackend(options.dataDir);
    await backend.init();
    return backend;
  },
};

const opLogProvider: Provider = {
  provide: OpLog,
  inject: [FERRO_OPTIONS],
  useFactory: (options: FerroRealtimeOptions): OpLog => new MemoryOpLog(options.syncMaxOps),
};

/**
 * Ferro's real-time layer: file routes that emit events, the sync log and
 * its API, storage health, and the WebSocket at `/api/ws` that pushes it
 * all to clients.
 *
 * The host must provide `EventEmitterModule.forRoot()` (the module emits and
 * listens on the host's emitter, so the host can emit file events too) and
 * should call `configureFerroApp(app)` before `listen`.
 */
@Module({})
export class FerroRealtimeModule {
  static forRoot(options: Partial<FerroRealtimeOptions> = {}): DynamicModule {
    return this.assemble({ provide: FERRO_OPTIONS, useValue: withDefaults(options) });
  }

  static forRootAsync(options: FerroRealtimeAsyncOptions): DynamicModule {
    const optionsProvider: Provider = {
      provide: FERRO_OPTIONS,
      inject: options.inject ?? [],
      useFactory: async (...args: unknown[]) => withDefaults(await options.useFactory(...args)),
    };
    return this.assemble(optionsProvider, options.imports);
  }

  private static assemble(
    optionsProvider: Provider,
    imports: DynamicModule['imports'] = [],
  ): DynamicModule {
    return {
      module: FerroRealtimeModule,
      imports,
      controllers: [
        FilesController,
        SharesController,
        SyncController,
        HealthController,
        WsUpgradeController,
      ],
      providers: [
        optionsProvider,
        storageProvider,
        opLogProvider,
        FerroEventBus,
        AuthService,
        FerroAuthGuard,
        FileService,
        ShareService,
        SyncService,
        StorageHealthMonitor,
        UpgradeVerifier,
        WireEncoder,
        EventsGateway,
      ],
      exports: [
        FERRO_OPTIONS,
        StorageBackend,
        FerroEventBus,
        AuthService,
        FileService,
        ShareService,
        SyncService,
        StorageHealthMonitor,
      ],
    };
  }
}
