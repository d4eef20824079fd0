import type { ModuleMetadata } from '@nestjs/common';

import type { OidcOptions } from './auth/oidc/oidc.options.js';

export type StorageKind = 'local' | 'memory';

/** HTTP Basic credentials of the single administrator. */
export interface SimpleAuthOptions {
  user: string;
  password: string;
}

/** Options of {@link FerroRealtimeModule}. Every field has a default. */
export interface FerroRealtimeOptions {
  /**
   * Root of stored files (under `files/`) and of the module's own state
   * (the sync log in `ferro.db`, with local storage).
   * @default './data'
   */
  dataDir: string;
  /**
   * Where file contents live: on disk under `dataDir`, or in process memory.
   * The sync log follows: in a SQLite database under `dataDir` that survives
   * restarts, or in memory, gone with the files at exit.
   * @default 'local'
   */
  storage: StorageKind;
  /**
   * HTTP Basic credentials; when set, every route, the SSE stream and the
   * WebSocket upgrade need them.
   * @default undefined (auth off)
   */
  simpleAuth?: SimpleAuthOptions;
  /**
   * The OpenID provider to trust; when set, bearer tokens it issued are
   * accepted and browsers can log in through it.
   * @default undefined (OIDC off)
   */
  oidc?: OidcOptions;
  /**
   * Secret that signs browser session cookies. When unset a random one is
   * made at start, so sessions do not survive a restart.
   * @default undefined
   */
  sessionSecret?: string;
  /**
   * WebSocket connections accepted at once; the next upgrade gets 503.
   * @default 1000
   */
  wsMaxConnections: number;
  /**
   * Messages that may wait for one client before it is closed as lagging.
   * @default 1024
   */
  wsBuffer: number;
  /**
   * How often every connection is pinged; one that has not answered the
   * previous ping by the next one is dropped, freeing its slot.
   * @default 30000
   */
  wsHeartbeatMs: number;
  /**
   * Origins allowed to open the WebSocket; empty allows any.
   * @default []
   */
  allowedOrigins: string[];
  /**
   * How often the storage backend is probed, in milliseconds.
   * @default 10000
   */
  healthIntervalMs: number;
  /**
   * Ops the sync log keeps; the oldest are dropped first.
   * @default 100000
   */
  syncMaxOps: number;
  /**
   * Public base URL used to build share links; when unset, links are built
   * from the request's own host.
   * @default undefined
   */
  publicUrl?: string;
}

export const DEFAULT_OPTIONS: FerroRealtimeOptions = {
  dataDir: './data',
  storage: 'local',
  wsMaxConnections: 1000,
  wsBuffer: 1024,
  wsHeartbeatMs: 30_000,
  allowedOrigins: [],
  healthIntervalMs: 10_000,
  syncMaxOps: 100_000,
};

export const FERRO_OPTIONS = Symbol('FERRO_OPTIONS');

/** Options of `forRootAsync`, in the shape Nest's own modules use. */
export interface FerroRealtimeAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (
    ...args: any[]
  ) => Partial<FerroRealtimeOptions> | Promise<Partial<FerroRealtimeOptions>>;
  inject?: any[];
}

export function withDefaults(options: Partial<FerroRealtimeOptions>): FerroRealtimeOptions {
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  );
  return { ...DEFAULT_OPTIONS, ...defined };
}
