import { Module } from '@nestjs/common';
import type { DynamicModule, Provider } from '@nestjs/common';

import { AUTH_PROVIDERS } from './auth/auth.providers.js';
import { AuthService } from './auth/auth.service.js';
import { OidcAuthController } from './auth/oidc/oidc-auth.controller.js';
import { OidcLoginService } from './auth/oidc/oidc-login.service.js';
import { BrowserSessionService } from './auth/session/browser-session.service.js';
import { FerroEventBus } from './events/ferro-event-bus.js';
import { FERRO_OPTIONS, withDefaults } from './ferro-realtime.options.js';
import type { FerroRealtimeAsyncOptions, FerroRealtimeOptions } from './ferro-realtime.options.js';
import { FILES_CONTROLLERS, FILES_PROVIDERS } from './files/files.providers.js';
import { FileService } from './files/file.service.js';
import { ShareService } from './files/share.service.js';
import { StorageBackend } from './files/storage-backend.js';
import { EventsGateway } from './gateway/events.gateway.js';
import { UpgradeVerifier } from './gateway/upgrade-verifier.js';
import { WireEncoder } from './gateway/wire-encoder.js';
import { WsUpgradeController } from './gateway/ws-upgrade.controller.js';
import { FerroMetrics } from './metrics/ferro-metrics.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { HealthController } from './health/health.controller.js';
import { StorageHealthMonitor } from './health/storage-health.monitor.js';
import { intentJournalProvider } from './journal/journal.providers.js';
import { SyncController } from './sync/sync.controller.js';
import { opLogProvider } from './sync/sync.providers.js';
import { SyncService } from './sync/sync.service.js';

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
        ...FILES_CONTROLLERS,
        SyncController,
        HealthController,
        WsUpgradeController,
        MetricsController,
        OidcAuthController,
      ],
      providers: [
        optionsProvider,
        ...FILES_PROVIDERS,
        opLogProvider,
        intentJournalProvider,
        FerroEventBus,
        ...AUTH_PROVIDERS,
        OidcLoginService,
        SyncService,
        StorageHealthMonitor,
        UpgradeVerifier,
        WireEncoder,
        FerroMetrics,
        EventsGateway,
      ],
      exports: [
        FERRO_OPTIONS,
        StorageBackend,
        FerroEventBus,
        AuthService,
        BrowserSessionService,
        FileService,
        ShareService,
        SyncService,
        StorageHealthMonitor,
        FerroMetrics,
      ],
    };
  }
}
