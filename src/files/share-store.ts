import type { PasswordHash } from './share-password.js';

/** One share link as it is kept, with what is needed to check a download. */
export interface ShareRecord {
  /** Random, URL-safe, the only secret of a share without password. */
  token: string;
  /** The shared file; follows the file when it is moved. */
  path: string;
  owner: string;
  createdAt: Date;
  /** Null for a share that never expires. */
  expiresAt: Date | null;
  /** Null for a share without a download limit. */
  maxDownloads: number | null;
  downloads: number;
  /** Null for a share without password. */
  password: PasswordHash | null;
}

/**
 * Where share records live. The methods are synchronous on purpose: the
 * download limit is checked and counted in one step, with no `await` in
 * between where a second download could pass the same check. A durable
 * store can keep that with a synchronous database driver.
 */
export abstract class ShareStore {
  abstract get(token: string): ShareRecord | undefined;

  /** Adds `share` or replaces the record with the same token. */
  abstract save(share: ShareRecord): void;

  abstract delete(token: string): void;

  abstract all(): ShareRecord[];
}
