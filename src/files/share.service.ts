import { randomBytes } from 'node:crypto';

import { HttpStatus, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';

import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';
import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import type { FileDeletedEvent, FileMovedEvent } from '../events/ferro-events.js';
import { isSameOrInside } from './file-path.js';
import { FileService } from './file.service.js';
import type { FileContent } from './file.service.js';
import { hashPassword, verifyPassword } from './share-password.js';
import type { PasswordHash } from './share-password.js';
import { ShareStore } from './share-store.js';
import type { ShareRecord } from './share-store.js';

const HOUR_MS = 3_600_000;

/** Options of a new share, as the request body names them; null counts as absent. */
export interface ShareOptions {
  password?: string | null;
  expires_in_hours?: number | null;
  max_downloads?: number | null;
}

/** A share as clients see it: never the password or its hash. */
export interface ShareView {
  token: string;
  path: string;
  /** Where the share downloads, relative to the server: `/s/<token>`. */
  url_path: string;
  created_at: string;
  expires_at: string | null;
  max_downloads: number | null;
  has_password: boolean;
}

/**
 * Creates share links for files and checks downloads through them. A share
 * follows its file when the file (or a folder above it) is moved, and dies
 * with it when it is deleted, so a link never serves a later file that
 * happens to get the same path.
 */
@Injectable()
export class ShareService {
  constructor(
    private readonly files: FileService,
    private readonly store: ShareStore,
    private readonly events: FerroEventBus,
  ) {}

  /** Shares the file at `path`; 404 when absent, 400 `not_a_file` for a folder. */
  async create(path: string, owner: string, options: ShareOptions = {}): Promise<ShareView> {
    const password = options.password ? await hashPassword(options.password) : null;

    return this.files.withFile(path, () => {
      const share = newShare(path, owner, options, password);
      this.store.save(share);
      this.events.emit(FerroEvent.FileShared, { path, token: share.token, owner });
      return viewOf(share);
    });
  }

  /**
   * Checks a download through `token` and opens the file. Unknown token:
   * 404; expired or used up: 410; password missing or wrong: 401. The
   * download is counted once the checks pass and given back if the file
   * cannot be opened.
   */
  async download(token: string, password?: string): Promise<FileContent> {
    const share = this.usableShare(token);
    await this.checkPassword(share, password);
    this.claim(share);

    try {
      return await this.files.read(share.path);
    } catch (error) {
      share.downloads -= 1;
      this.store.save(share);
      throw error;
    }
  }

  @OnEvent(FerroEvent.FileMoved)
  followMove({ from, to }: FileMovedEvent): void {
    for (const share of this.sharesAtOrUnder(from)) {
      share.path = to + share.path.slice(from.length);
      this.store.save(share);
    }
  }

  @OnEvent(FerroEvent.FileDeleted)
  dropDeleted({ path }: FileDeletedEvent): void {
    for (const share of this.sharesAtOrUnder(path)) {
      this.store.delete(share.token);
    }
  }

  private sharesAtOrUnder(path: string): ShareRecord[] {
    return this.store.all().filter((share) => isSameOrInside(share.path, path));
  }

  private usableShare(token: string): ShareRecord {
    const share = this.store.get(token);
    if (!share) {
      throw FerroError.notFound(ErrorCode.ShareNotFound, 'No share has this token');
    }

    assertUsable(share);
    return share;
  }

  private async checkPassword(share: ShareRecord, password?: string): Promise<void> {
    if (!share.password) {
      return;
    }

    if (password === undefined || !(await verifyPassword(password, share.password))) {
      throw new FerroError(
        HttpStatus.UNAUTHORIZED,
        ErrorCode.SharePasswordRequired,
        'This share needs its password',
      );
    }
  }

  /** Checked again after the password's `await`: another download may have used the last one. */
  private claim(share: ShareRecord): void {
    assertUsable(share);
    share.downloads += 1;
    this.store.save(share);
  }
}

function newShare(
  path: string,
  owner: string,
  options: ShareOptions,
  password: PasswordHash | null,
): ShareRecord {
  const createdAt = new Date();
  const hours = options.expires_in_hours;
  return {
    token: randomBytes(16).toString('base64url'),
    path,
    owner,
    createdAt,
    expiresAt: hours == null ? null : new Date(createdAt.getTime() + hours * HOUR_MS),
    maxDownloads: options.max_downloads ?? null,
    downloads: 0,
    password,
  };
}

function assertUsable(share: ShareRecord): void {
  const expired = share.expiresAt !== null && share.expiresAt.getTime() <= Date.now();
  const usedUp = share.maxDownloads !== null && share.downloads >= share.maxDownloads;
  if (expired || usedUp) {
    throw new FerroError(HttpStatus.GONE, ErrorCode.ShareExpired, 'This share has expired');
  }
}

function viewOf(share: ShareRecord): ShareView {
  return {
    token: share.token,
    path: share.path,
    url_path: `/s/${share.token}`,
    created_at: share.createdAt.toISOString(),
    expires_at: share.expiresAt?.toISOString() ?? null,
    max_downloads: share.maxDownloads,
    has_password: share.password !== null,
  };
}
