/**
 * The public API of the package: the module, its options, its services,
 * the domain events a host may emit, and the wire DTOs clients receive.
 */
export { FerroRealtimeModule } from './ferro-realtime.module.js';
export { DEFAULT_OPTIONS, FERRO_OPTIONS } from './ferro-realtime.options.js';
export type {
  FerroRealtimeAsyncOptions,
  FerroRealtimeOptions,
  SimpleAuthOptions,
  StorageKind,
} from './ferro-realtime.options.js';
export { configureFerroApp } from './configure-app.js';
export { loadConfig, ConfigError } from './config/load-config.js';
export type { ServerConfig } from './config/load-config.js';

export { AuthService } from './auth/auth.service.js';
export { FerroAuthGuard } from './auth/auth.guard.js';
export type { Principal } from './auth/principal.js';
export { ErrorCode } from './common/error-codes.js';
export { FerroError } from './common/ferro.error.js';
export type { ErrorBody } from './common/ferro.error.js';

export { FerroEvent } from './events/ferro-events.js';
export type {
  FerroEventMap,
  FerroEventName,
  FileDeletedEvent,
  FileMovedEvent,
  FileSharedEvent,
  FileWrittenEvent,
  OpType,
  StorageHealthEvent,
  SyncOp,
} from './events/ferro-events.js';
export { FerroEventBus } from './events/ferro-event-bus.js';
export * from './events/dto/index.js';
export type { WireEvent } from './events/wire-events.js';

export { FileService } from './files/file.service.js';
export { ShareService } from './files/share.service.js';
export { StorageBackend } from './files/storage-backend.js';
export type { EntryInfo, StagedFile } from './files/storage-backend.js';
export { LocalStorageBackend } from './files/local-storage.backend.js';
export { MemoryStorageBackend } from './files/memory-storage.backend.js';

export { SyncService } from './sync/sync.service.js';
export { OpLog, MemoryOpLog } from './sync/op-log.js';
export { SqliteOpLog } from './sync/sqlite-op-log.js';
export { StorageHealthMonitor } from './health/storage-health.monitor.js';

export { EventsGateway } from './gateway/events.gateway.js';
export { FerroWsAdapter } from './gateway/ferro-ws.adapter.js';
export { CloseCode, WS_PATH } from './gateway/ws.constants.js';
