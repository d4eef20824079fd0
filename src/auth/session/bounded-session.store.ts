import session from 'express-session';
import type { SessionData } from 'express-session';

/** Limits of a {@link BoundedSessionStore}. */
export interface SessionStoreLimits {
  /**
   * Sessions kept at once; past it, expired sessions go first, then the
   * oldest one nobody has logged in to, then the oldest of all.
   * @default 10000
   */
  maxSessions?: number;
  /**
   * Lifetime of a session whose cookie states no expiry.
   * @default 8 hours
   */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  /** Stored as JSON so that no request ever holds the stored object itself. */
  json: string;
  expiresAt: number;
  authenticated: boolean;
}

type Callback = (err?: unknown) => void;

/**
 * An in-process session store with a ceiling and expiry. express-session's
 * own `MemoryStore` never forgets a session it was not asked to destroy, so
 * a client that starts logins in a loop grows the heap without bound. This
 * one keeps at most `maxSessions` and drops expired sessions as it meets
 * them, with no timer to tear down. Sessions do not survive a restart.
 */
export class BoundedSessionStore extends session.Store {
  private readonly sessions = new Map<string, Entry>();
  private readonly maxSessions: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(limits: SessionStoreLimits = {}) {
    super();
    this.maxSessions = limits.maxSessions ?? 10_000;
    this.ttlMs = limits.ttlMs ?? 8 * 60 * 60_000;
    this.now = limits.now ?? Date.now;
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1) {
      throw new TypeError('maxSessions must be a positive integer');
    }
  }

  /** Sessions held now, expired ones not yet met included. */
  get size(): number {
    return this.sessions.size;
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    process.nextTick(() => callback(null, this.sessions.size));
  }

  /** The session, or undefined when it is unknown or expired. */
  read(sid: string): SessionData | undefined {
    const entry = this.sessions.get(sid);
    if (!entry) {
      return undefined;
    }

    if (entry.expiresAt <= this.now()) {
      this.sessions.delete(sid);
      return undefined;
    }
    return JSON.parse(entry.json) as SessionData;
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    const found = this.read(sid);
    process.nextTick(() => callback(null, found ?? null));
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    this.sessions.delete(sid);
    this.makeRoom();
    this.sessions.set(sid, this.entryOf(data));
    process.nextTick(() => callback?.());
  }

  /** Refreshes the expiry of a session used without being changed. */
  override touch(sid: string, data: SessionData, callback?: () => void): void {
    if (this.sessions.has(sid)) {
      this.sessions.set(sid, this.entryOf(data));
    }
    process.nextTick(() => callback?.());
  }

  override destroy(sid: string, callback?: Callback): void {
    this.sessions.delete(sid);
    process.nextTick(() => callback?.());
  }

  override clear(callback?: Callback): void {
    this.sessions.clear();
    process.nextTick(() => callback?.());
  }

  private entryOf(data: SessionData): Entry {
    const expires = data.cookie?.expires;
    const expiresAt = expires ? new Date(expires).getTime() : this.now() + this.ttlMs;
    const user = (data as { passport?: { user?: unknown } }).passport?.user;
    return { json: JSON.stringify(data), expiresAt, authenticated: user !== undefined };
  }

  /**
   * Frees one slot when the store is full. Sessions of people who logged
   * in are evicted last, so a flood of abandoned logins cannot log
   * everyone out.
   */
  private makeRoom(): void {
    if (this.sessions.size < this.maxSessions) {
      return;
    }

    this.dropExpired();
    if (this.sessions.size < this.maxSessions) {
      return;
    }

    const victim = this.oldestAnonymous() ?? this.sessions.keys().next().value;
    if (victim !== undefined) {
      this.sessions.delete(victim);
    }
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [sid, entry] of this.sessions) {
      if (entry.expiresAt <= now) {
        this.sessions.delete(sid);
      }
    }
  }

  private oldestAnonymous(): string | undefined {
    for (const [sid, entry] of this.sessions) {
      if (!entry.authenticated) {
        return sid;
      }
    }
    return undefined;
  }
}
