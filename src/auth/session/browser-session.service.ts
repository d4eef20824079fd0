import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { Inject, Injectable } from '@nestjs/common';
import { parse as parseCookies } from 'cookie';
import { unsign } from 'cookie-signature';
import session from 'express-session';
import type { SessionData } from 'express-session';
import passport from 'passport';

import { FERRO_OPTIONS } from '../../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../../ferro-realtime.options.js';
import type { Principal } from '../principal.js';
import { BoundedSessionStore } from './bounded-session.store.js';

/** Name of the browser session cookie. */
export const SESSION_COOKIE = 'ferro.sid';

/** How long a browser session lasts after its last change. */
export const SESSION_MAX_AGE_MS = 8 * 60 * 60_000;

/** What a session keeps about its user: the name, nothing else. */
interface StoredUser {
  name: string;
}

type SessionRequest = IncomingMessage & {
  session?: Partial<SessionData> & { passport?: { user?: unknown } };
};

/**
 * Browser login sessions: the store, the cookie secret and the passport
 * instance that keeps the logged-in user in the session. It is made by
 * Nest from the module options, so the HTTP middleware and the WebSocket
 * upgrade read the very same sessions.
 *
 * The passport instance is our own rather than passport's global one: a
 * host that uses passport for its own routes keeps its strategies and its
 * `serializeUser` to itself.
 */
@Injectable()
export class BrowserSessionService {
  readonly enabled: boolean;
  readonly store = new BoundedSessionStore({ ttlMs: SESSION_MAX_AGE_MS });
  readonly passport = new passport.Passport();
  private readonly secret: string;
  private readonly secure: boolean;

  constructor(@Inject(FERRO_OPTIONS) options: FerroRealtimeOptions) {
    this.enabled = options.oidc !== undefined;
    // Random per start when unset: sessions then end with the process.
    this.secret = options.sessionSecret ?? randomBytes(32).toString('base64url');
    this.secure = options.publicUrl?.startsWith('https:') ?? false;
    this.passport.serializeUser<StoredUser>((user, done) => {
      done(null, { name: (user as Principal).name });
    });
    this.passport.deserializeUser<StoredUser>((stored, done) => {
      done(null, principalOfStored(stored) ?? false);
    });
  }

  /**
   * The express-session middleware. SameSite=Lax, not Strict: the
   * provider's redirect back to the callback is a cross-site top-level
   * GET, and a Strict cookie would not come with it, losing the login
   * state. Lax still keeps the cookie off cross-site POSTs and fetches.
   */
  middleware(cookiePath: string): ReturnType<typeof session> {
    return session({
      name: SESSION_COOKIE,
      secret: this.secret,
      store: this.store,
      resave: false,
      // No cookie and no stored session until a login starts.
      saveUninitialized: false,
      unset: 'destroy',
      cookie: {
        path: cookiePath,
        httpOnly: true,
        sameSite: 'lax',
        secure: this.secure,
        maxAge: SESSION_MAX_AGE_MS,
      },
    });
  }

  /**
   * The logged-in user behind `req`, if any. On HTTP routes the session
   * middleware has already loaded the session; at a WebSocket upgrade no
   * middleware runs, so the cookie is read, its signature checked and the
   * session loaded from the store here.
   */
  async principalOf(req: IncomingMessage): Promise<Principal | undefined> {
    if (!this.enabled) {
      return undefined;
    }

    const loaded = (req as SessionRequest).session;
    if (loaded) {
      return principalOfStored(loaded.passport?.user);
    }

    const sid = this.sessionIdOf(req.headers.cookie);
    if (sid === undefined) {
      return undefined;
    }
    return principalOfStored(this.store.read(sid)?.passport?.user);
  }

  private sessionIdOf(header: string | undefined): string | undefined {
    if (!header) {
      return undefined;
    }

    const value = parseCookies(header)[SESSION_COOKIE];
    if (!value?.startsWith('s:')) {
      return undefined;
    }
    const sid = unsign(value.slice(2), this.secret);
    return sid === false ? undefined : sid;
  }
}

declare module 'express-session' {
  interface SessionData {
    passport?: { user?: unknown };
  }
}

function principalOfStored(stored: unknown): Principal | undefined {
  const name = (stored as Partial<StoredUser> | undefined)?.name;
  if (typeof name !== 'string' || name === '') {
    return undefined;
  }
  return { name, method: 'session' };
}
