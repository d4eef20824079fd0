import { randomBytes, timingSafeEqual } from 'node:crypto';

import type { Request } from 'express';

/** Pending logins kept per browser session. */
export const MAX_PENDING_LOGINS = 5;

/** How long a started login may take at the provider. */
export const PENDING_LOGIN_TTL_MS = 10 * 60_000;

/** Limits of a {@link LoginStateStore}. */
export interface LoginStateLimits {
  /**
   * Logins pending at once in one session; a new one drops the oldest.
   * @default 5
   */
  maxPending?: number;
  /**
   * Lifetime of each pending login.
   * @default 10 minutes
   */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** One started login, as the session keeps it until its callback. */
export interface PendingLogin {
  handle: string;
  expiresAt: number;
  nonce?: string;
  maxAge?: number;
  /** ISO time the login started, kept only when `maxAge` is asked for. */
  issued?: string;
  state?: unknown;
}

/** What passport-openidconnect hands over when a login starts. */
export interface LoginStartContext {
  nonce?: string;
  maxAge?: number;
  issued?: Date | string;
}

/** What it needs back at the callback to check the ID token. */
export interface LoginCheckContext {
  nonce?: string;
  maxAge?: number;
  issued?: Date;
}

type StoreCallback = (error: Error | null, handle?: string) => void;

type VerifyCallback = (
  error: Error | null,
  context?: LoginCheckContext | false,
  stateOrInfo?: unknown,
) => void;

type SessionRequest = Pick<Request, 'session'>;

declare module 'express-session' {
  interface SessionData {
    pendingLogins?: PendingLogin[];
  }
}

/**
 * The login state store given to passport-openidconnect, in place of its
 * own that keeps a single state per session. That one let any callback,
 * even a forged cross-site link (the Lax cookie comes along on top-level
 * navigation), wipe the one pending login, and let a second tab's login
 * overwrite the first's.
 *
 * Here a session keeps up to `maxPending` logins, each under its own
 * random handle (the OAuth `state`) with its own expiry. A callback
 * consumes only the login its `state` names, so it is usable once, and an
 * unknown or expired `state` changes nothing.
 */
export class LoginStateStore {
  private readonly maxPending: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(limits: LoginStateLimits = {}) {
    this.maxPending = limits.maxPending ?? MAX_PENDING_LOGINS;
    this.ttlMs = limits.ttlMs ?? PENDING_LOGIN_TTL_MS;
    this.now = limits.now ?? Date.now;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1) {
      throw new TypeError('maxPending must be a positive integer');
    }
    if (!Number.isFinite(this.ttlMs) || this.ttlMs <= 0) {
      throw new TypeError('ttlMs must be a positive number');
    }
  }

  /** Called by the strategy as a login starts; yields the `state` to send. */
  store(
    req: SessionRequest,
    context: LoginStartContext,
    appState: unknown,
    _meta: unknown,
    callback: StoreCallback,
  ): void {
    if (!req.session) {
      callback(new Error('login state needs a session; is express-session installed?'));
      return;
    }

    const login = this.pendingFrom(context, appState);
    this.keep(req, [...this.pendingOf(req), login]);
    callback(null, login.handle);
  }

  /**
   * Called by the strategy at the callback. Takes the named login out of
   * the session before the code is exchanged, so it counts as used even
   * when the exchange then fails; the other pending logins stay.
   */
  verify(req: SessionRequest, handle: unknown, callback: VerifyCallback): void {
    if (!req.session) {
      callback(new Error('login state needs a session; is express-session installed?'));
      return;
    }

    const pending = this.pendingOf(req);
    const found = pending.find((login) => sameHandle(login.handle, handle));
    if (!found) {
      callback(null, false, { message: 'login state unknown, expired or used' });
      return;
    }

    this.keep(
      req,
      pending.filter((login) => login !== found),
    );
    callback(null, checkContextOf(found), found.state);
  }

  /** The logins still pending in `req`'s session, expired ones dropped. */
  pendingOf(req: SessionRequest): PendingLogin[] {
    const stored = req.session?.pendingLogins;
    if (!Array.isArray(stored)) {
      return [];
    }

    const now = this.now();
    return stored.filter((login) => login.expiresAt > now);
  }

  /**
   * Puts pending logins into `req`'s session, e.g. into the new session
   * a completed login starts, so the logins of other tabs survive it.
   */
  keep(req: SessionRequest, pending: PendingLogin[]): void {
    if (!req.session) {
      return;
    }

    if (pending.length === 0) {
      delete req.session.pendingLogins;
      return;
    }
    req.session.pendingLogins = pending.slice(-this.maxPending);
  }

  private pendingFrom(context: LoginStartContext, appState: unknown): PendingLogin {
    const { nonce, maxAge, issued } = context;
    return {
      // 192 random bits, URL-safe so the provider echoes it unchanged.
      handle: randomBytes(24).toString('base64url'),
      expiresAt: this.now() + this.ttlMs,
      ...(nonce !== undefined && { nonce }),
      ...(maxAge !== undefined && { maxAge }),
      ...(issued !== undefined && { issued: new Date(issued).toISOString() }),
      ...(appState !== undefined && { state: appState }),
    };
  }
}

/** The strategy compares `issued` as a Date; the session holds a string. */
function checkContextOf(login: PendingLogin): LoginCheckContext {
  return {
    nonce: login.nonce,
    maxAge: login.maxAge,
    issued: login.issued === undefined ? undefined : new Date(login.issued),
  };
}

/** Constant-time, so a probe cannot learn a pending handle bit by bit. */
function sameHandle(stored: string, given: unknown): boolean {
  if (typeof given !== 'string') {
    return false;
  }

  const a = Buffer.from(stored);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
