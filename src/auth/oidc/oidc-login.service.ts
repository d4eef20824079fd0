import type { IncomingMessage } from 'node:http';

import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import type { AuthenticateOptions, Profile } from 'passport';
import { Strategy } from 'passport-openidconnect';
import type { VerifyCallback } from 'passport-openidconnect';

import { ErrorCode } from '../../common/error-codes.js';
import { FerroError } from '../../common/ferro.error.js';
import { FERRO_OPTIONS } from '../../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../../ferro-realtime.options.js';
import type { Principal } from '../principal.js';
import { BrowserSessionService } from '../session/browser-session.service.js';
import { ALLOWED_ALGORITHMS, CLOCK_TOLERANCE_S, JWKS_OPTIONS } from './bearer-token.verifier.js';
import type { OidcOptions } from './oidc.options.js';
import { loadProviderMetadata } from './provider-metadata.loader.js';
import type { ProviderMetadata } from './provider-metadata.loader.js';
import { safeReturnTo } from './return-to.js';

const STRATEGY = 'oidc';

/** What the login carries through the provider, inside the session state. */
interface LoginState {
  returnTo: string;
}

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
  private strategy?: Promise<void>;

  constructor(
    private readonly sessions: BrowserSessionService,
    @Inject(FERRO_OPTIONS) options: FerroRealtimeOptions,
  ) {
    this.client = loginClientOf(options.oidc);
    this.publicUrl = options.publicUrl?.replace(/\/+$/, '');
  }

  /** Sends the browser to the provider; `returnTo` survives the trip. */
  async start(req: Request, res: Response, returnTo: unknown): Promise<void> {
    await this.ready();
    const state: LoginState = { returnTo: safeReturnTo(returnTo) };
    await this.authenticate(req, res, { state });
  }

  /**
   * Completes the login at the callback: one principal, or a 401 whatever
   * went wrong (no state in the session, a state used before or made for
   * another session, a refused code, a provider error). The precise cause
   * is logged; the browser never gets a 500 or a redirect back to login.
   */
  async finish(req: Request, res: Response): Promise<{ principal: Principal; returnTo: string }> {
    await this.ready();
    if (typeof req.query.code !== 'string' && req.query.error === undefined) {
      // Without a code the strategy would start a new login: a loop.
      throw loginFailed();
    }

    const outcome = await this.authenticate(req, res, {}).catch((error: unknown) => {
      this.logger.warn(`login failed from ${req.socket.remoteAddress}: ${messageOf(error)}`);
      throw loginFailed();
    });
    if (!outcome.user) {
      this.logger.warn(`login refused from ${req.socket.remoteAddress}: ${outcome.reason}`);
      throw loginFailed();
    }
    return { principal: outcome.user, returnTo: safeReturnTo(outcome.state?.returnTo) };
  }

  /** Starts the logged-in session under a new id, against session fixation. */
  logIn(req: Request, principal: Principal): Promise<void> {
    return new Promise((resolve, reject) => {
      req.logIn(principal, { session: true, keepSessionInfo: false }, (error?: unknown) =>
        error ? reject(asError(error)) : resolve(),
      );
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

  private ready(): Promise<void> {
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

  private async install(client: LoginClient): Promise<void> {
    const metadata = await loadProviderMetadata(client.issuer);
    const keys = createRemoteJWKSet(new URL(metadata.jwksUri), JWKS_OPTIONS);
    this.sessions.passport.use(STRATEGY, this.createStrategy(client, metadata, keys));
    this.logger.log(`browser login through ${client.issuer} ready`);
  }

  private createStrategy(
    client: LoginClient,
    metadata: ProviderMetadata,
    keys: JWTVerifyGetKey,
  ): Strategy {
    const options = {
      issuer: metadata.issuer,
      authorizationURL: metadata.authorizationEndpoint,
      tokenURL: metadata.tokenEndpoint,
      userInfoURL: metadata.userinfoEndpoint,
      clientID: client.clientId,
      clientSecret: client.clientSecret,
      scope: 'profile',
      // Any truthy value: the strategy then makes a fresh nonce per login.
      nonce: 'on',
      skipUserProfile: false,
      sessionKey: 'ferro.oidc',
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

  private authenticate(
    req: Request,
    res: Response,
    options: { state?: LoginState },
  ): Promise<{ user?: Principal; reason?: string; state?: Partial<LoginState> }> {
    const callbackURL = this.callbackUrlOf(req);
    return new Promise((resolve, reject) => {
      // A redirect to the provider ends the response without calling back.
      res.once('finish', () => resolve({}));
      const handler = this.sessions.passport.authenticate(
        STRATEGY,
        { ...options, callbackURL, session: false } as AuthenticateOptions,
        (
          error: unknown,
          user: Principal | false,
          info?: { message?: string; state?: LoginState },
        ) =>
          error
            ? reject(asError(error))
            : resolve({ user: user || undefined, reason: info?.message, state: info?.state }),
      ) as (req: Request, res: Response, next: (error?: unknown) => void) => void;
      handler(req, res, (error?: unknown) => reject(asError(error)));
    });
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

/** The owner name in events: `preferred_username`, else `sub`. */
export function principalOfProfile(idProfile: Profile, userinfo?: Profile): Principal {
  const name = userinfo?.username ?? idProfile.username ?? idProfile.id;
  return { name, method: 'session' };
}

function loginClientOf(oidc: OidcOptions | undefined): LoginClient | undefined {
  if (!oidc?.clientId || !oidc.clientSecret) {
    return undefined;
  }
  return { issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret };
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
