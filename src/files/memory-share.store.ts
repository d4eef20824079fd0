import { Injectable } from '@nestjs/common';

import { ShareStore } from './share-store.js';
import type { ShareRecord } from './share-store.js';

/** Keeps shares in process memory; they are gone after a restart. */
@Injectable()
export class MemoryShareStore extends ShareStore {
  private readonly shares = new Map<string, ShareRecord>();

  get(token: string): ShareRecord | undefined {
    return this.shares.get(token);
  }

  save(share: ShareRecord): void {
    this.shares.set(share.token, share);
  }

  delete(token: string): void {
    this.shares.delete(token);
  }

  all(): ShareRecord[] {
    return [...this.shares.values()];
  }
}
