import type { IncomingMessage } from 'node:http';

import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import type { Profile } from 'passport';
import { Strategy } from 'passport-openidconnect';
import type { SessionStore, VerifyCallback } from 'passport-openidconnect';

import { ErrorCode } from '../../common/error-codes.js';
import { FerroError } from '../../common/ferro.error.js';
import { FERRO_OPTIONS } from '../../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../../ferro-realtime.options.js';
import type { Principal } from '../principal.js';
import { BrowserSessionService } from '../session/browser-session.service.js';
import { ALLOWED_ALGORITHMS, CLOCK_TOLERANCE_S, JWKS_OPTIONS } from './bearer-token.verifier.js';
import { LoginStateStore } from './login-state.store.js';
import type { OidcOptions } from './oidc.options.js';
import { loadProviderMetadata } from './provider-metadata.loader.js';
import type { ProviderMetadata } from './provider-metadata.loader.js';
import { safeReturnTo } from './return-to.js';

/** What the login carries through the provider, inside the session state. */
interface LoginState {
  returnTo: string;
}

/** How one run of the strategy on a request ended. */
type StrategyOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; user: Principal; state?: Partial<LoginState> }
  | { kind: 'fail'; reason: string };

type LoginClient = Required<Pick<OidcOptions, 'issuer' | 'clientId' | 'clientSecret'>>;

/**
 * The browser login through the OpenID provider (authorization code flow
 * with state and nonce, passport-openidconnect doing the protocol).
 *
 * The provider's endpoints come from its discovery document, read on the
 * first login rather than at start: a provider that is down does not stop
 * the server, a login meanwhile gets 503, and the next login tries again.
 */
@Injectable()
export class OidcLoginService {
  private readonly logger = new Logger(OidcLoginService.name);
  private readonly client?: LoginClient;
  private readonly publicUrl?: string;
  private readonly states = new LoginStateStore();
  private strategy?: Promise<Strategy>;

  constructor(
    private readonly sessions: BrowserSessionService,
    @Inject(FERRO_OPTIONS) options: FerroRealtimeOptions,
  ) {
    this.client = loginClientOf(options.oidc);
    this.publicUrl = options.publicUrl?.replace(/\/+$/, '');
  }

  /**
   * The provider's authorization URL for a new login; `returnTo` survives
   * the trip. This is the only way to the provider: the callback below
   * treats any wish of the strategy to redirect as a failed login.
   */
  async start(req: Request, returnTo: unknown): Promise<string> {
    const strategy = await this.ready();
    const state: LoginState = { returnTo: safeReturnTo(returnTo) };
    const outcome = await this.run(strategy, req, { state });
    if (outcome.kind !== 'redirect') {
      throw new Error(`login start ended in ${outcome.kind} instead of a redirect`);
    }
    return outcome.url;
  }

  /**
   * Completes the login at the callback: one principal, or a 401 whatever
   * went wrong (a provider error, no code, no state, a state unknown to
   * this session or used before, a refused code). The precise cause is
   * logged; the browser never gets a 500 or a redirect back to login.
   */
  async finish(req: Request): Promise<{ principal: Principal; returnTo: string }> {
    const strategy = await this.ready();
    const problem = problemWithCallback(req.query);
    if (problem !== undefined) {
      throw this.refused(req, problem);
    }

    const outcome = await this.run(strategy, req, {}).catch((error: unknown) => {
      throw this.refused(req, messageOf(error));
    });
    if (outcome.kind === 'redirect') {
      throw this.refused(req, 'the strategy wanted to start a new login');
    }
    if (outcome.kind === 'fail') {
      throw this.refused(req, outcome.reason);
    }
    return { principal: outcome.user, returnTo: safeReturnTo(outcome.state?.returnTo) };
  }

  /**
   * Starts the logged-in session under a new id, against session
   * fixation. The logins other tabs still have pending move to the new
   * session, so each of them can complete as well.
   */
  async logIn(req: Request, principal: Principal): Promise<void> {
    const pending = this.states.pendingOf(req);
    await new Promise<void>((resolve, reject) => {
      req.logIn(principal, { session: true, keepSessionInfo: false }, (error?: unknown) =>
        error ? reject(asError(error)) : resolve(),
      );
    });
    if (pending.length === 0) {
      return;
    }

    this.states.keep(req, pending);
    await new Promise<void>((resolve, reject) => {
      req.session.save((error?: unknown) => (error ? reject(asError(error)) : resolve()));
    });
  }

  /** Ends the session, if any, and tells the browser to drop its cookie. */
  async logOut(req: IncomingMessage & { session?: Request['session'] }): Promise<void> {
    const current = req.session;
    if (!current) {
      return;
    }

    await new Promise<void>((resolve, reject) => {
      current.destroy((error?: unknown) => (error ? reject(asError(error)) : resolve()));
    });
  }

  private ready(): Promise<Strategy> {
    const client = this.client;
    if (!client || !this.sessions.enabled) {
      return Promise.reject(
        FerroError.notFound(ErrorCode.OidcDisabled, 'Browser login is not configured'),
      );
    }

    this.strategy ??= this.install(client).catch((error: unknown) => {
      this.strategy = undefined;
      this.logger.error(`OpenID provider unusable: ${messageOf(error)}`);
      throw new FerroError(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.OidcUnavailable,
        'The login provider cannot be reached; try again shortly',
      );
    });
    return this.strategy;
  }

  private async install(client: LoginClient): Promise<Strategy> {
    const metadata = await loadProviderMetadata(client.issuer);
    const keys = createRemoteJWKSet(new URL(metadata.jwksUri), JWKS_OPTIONS);
    const strategy = this.createStrategy(client, metadata, keys);
    this.logger.log(`browser login through ${client.issuer} ready`);
    return strategy;
  }

  private createStrategy(
    client: LoginClient,
    metadata: ProviderMetadata,
    keys: JWTVerifyGetKey,
  ): Strategy {
    const options = {
      issuer: metadata.issuer,
      authorizationURL: loginEndpoint(metadata.authorizationEndpoint, 'authorization_endpoint'),
      tokenURL: loginEndpoint(metadata.tokenEndpoint, 'token_endpoint'),
      userInfoURL: loginEndpoint(metadata.userinfoEndpoint, 'userinfo_endpoint'),
      clientID: client.clientId,
      clientSecret: client.clientSecret,
      scope: 'profile',
      // Any truthy value: the strategy then makes a fresh nonce per login.
      nonce: 'on',
      skipUserProfile: false,
      // Cast: the typings declare `issued` a string, yet the strategy
      // compares it as a Date (its own store converts it the same way).
      store: this.states as unknown as SessionStore,
      // Replaced on each request by the URL next to the route it serves.
      callbackURL: '/api/auth/callback',
    };
    // The arity tells the strategy to pass the ID token and both profiles.
    const verify = (
      _issuer: string,
      userinfo: Profile | undefined,
      idProfile: Profile,
      _context: object,
      idToken: string,
      _accessToken: string,
      _refreshToken: string,
      _params: object,
      done: VerifyCallback,
    ): void => {
      verifyLogin(keys, client, idToken, idProfile, userinfo).then(
        (principal) => done(null, principal),
        (error: unknown) => done(null, false, { message: messageOf(error) }),
      );
    };
    return new Strategy(options, verify as never);
  }

  /**
   * Runs the strategy on `req` the way passport's `authenticate` does (a
   * fresh object over the strategy with the five outcomes attached), but
   * hands every outcome back instead of writing to the response, so no
   * route can end up redirecting where it did not mean to.
   */
  private run(
    strategy: Strategy,
    req: Request,
    options: { state?: LoginState },
  ): Promise<StrategyOutcome> {
    const callbackURL = this.callbackUrlOf(req);
    return new Promise((resolve, reject) => {
      const attempt = Object.assign(Object.create(strategy) as Strategy, {
        redirect: (url: string) => resolve({ kind: 'redirect', url }),
        success: (user: Principal, info?: { state?: Partial<LoginState> }) =>
          resolve({ kind: 'success', user, state: info?.state }),
        fail: (challenge?: unknown) => resolve({ kind: 'fail', reason: reasonOf(challenge) }),
        error: (error: unknown) => reject(asError(error)),
        pass: () => reject(new Error('the strategy passed on the request')),
      });
      try {
        attempt.authenticate(req, { ...options, callbackURL });
      } catch (error) {
        reject(asError(error));
      }
    });
  }

  private refused(req: Request, cause: string): FerroError {
    this.logger.warn(`login refused from ${req.socket.remoteAddress}: ${cause}`);
    return loginFailed();
  }

  /**
   * The callback next to the login route, on the public URL when one is
   * configured (behind a proxy the request's own host is not the one the
   * provider knows), else on the origin the request came to.
   */
  private callbackUrlOf(req: Request): string {
    const path = req.originalUrl.split('?')[0].replace(/\/(login|callback)\/?$/, '/callback');
    if (this.publicUrl !== undefined) {
      return `${this.publicUrl}${path}`;
    }
    return path;
  }
}

/**
 * Checks the ID token's signature against the provider's published keys.
 * passport-openidconnect checks the claims but not the signature; the
 * token came straight from the token endpoint, so this is depth, not the
 * only line. The userinfo answer must be about the same subject (OpenID
 * Connect Core §5.3.2) before any of its claims are believed.
 */
async function verifyLogin(
  keys: JWTVerifyGetKey,
  client: LoginClient,
  idToken: string,
  idProfile: Profile,
  userinfo: Profile | undefined,
): Promise<Principal> {
  await jwtVerify(idToken, keys, {
    issuer: client.issuer,
    audience: client.clientId,
    algorithms: [...ALLOWED_ALGORITHMS],
    clockTolerance: CLOCK_TOLERANCE_S,
  });
  if (userinfo && userinfo.id !== idProfile.id) {
    throw new Error('userinfo is about another subject than the ID token');
  }
  return principalOfProfile(idProfile, userinfo);
}

/**
 * The owner name in events: `preferred_username`, else `sub`. An empty
 * username counts as none, since an empty owner is no name at all.
 */
export function principalOfProfile(idProfile: Profile, userinfo?: Profile): Principal {
  const name = userinfo?.username || idProfile.username || idProfile.id;
  return { name, method: 'session' };
}

function loginClientOf(oidc: OidcOptions | undefined): LoginClient | undefined {
  if (!oidc?.clientId || !oidc.clientSecret) {
    return undefined;
  }
  return { issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret };
}

/**
 * Why the callback query is not a complete authorization response, if it
 * is not. Checked before the strategy runs: given no code, it would start
 * a new login, and an empty `error=` does not count as an error to it.
 * The code is never logged: it is a credential.
 */
function problemWithCallback(query: Request['query']): string | undefined {
  if (Object.hasOwn(query, 'error')) {
    return `the provider answered error ${JSON.stringify(query.error).slice(0, 80)}`;
  }
  if (typeof query.code !== 'string' || query.code === '') {
    return 'no code in the callback';
  }
  if (typeof query.state !== 'string' || query.state === '') {
    return 'no state in the callback';
  }
  return undefined;
}

/** The strategy fails with a `{ message }`, a bare status or nothing. */
function reasonOf(challenge: unknown): string {
  const message = (challenge as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message !== '' ? message : 'refused by the strategy';
}

function loginFailed(): FerroError {
  return new FerroError(HttpStatus.UNAUTHORIZED, ErrorCode.LoginFailed, 'Login failed');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** An endpoint the browser login cannot do without; bearer tokens need none of them. */
function loginEndpoint(value: string | undefined, field: string): string {
  if (value === undefined) {
    throw new Error(`the provider's discovery document has no ${field}, which the login needs`);
  }
  return value;
}
