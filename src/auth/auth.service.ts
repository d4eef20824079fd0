import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { HttpStatus, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import parseBasicAuth from 'basic-auth';

import { ErrorCode } from '../common/error-codes.js';
import { FerroError } from '../common/ferro.error.js';
import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions, SimpleAuthOptions } from '../ferro-realtime.options.js';
import { BearerTokenVerifier } from './oidc/bearer-token.verifier.js';
import { BrowserSessionService } from './session/browser-session.service.js';
import { ANONYMOUS } from './principal.js';
import type { Principal } from './principal.js';

const BASIC_CHALLENGE = 'Basic realm="Ferro", charset="UTF-8"';
const BEARER_CHALLENGE = 'Bearer realm="Ferro"';

/** `Authorization: <scheme> <credentials>`, scheme compared case-insensitively. */
const AUTHORIZATION = /^(\S+)\s+(\S.*)$/;

/**
 * Decides who a request is, for HTTP routes, the SSE stream and the
 * WebSocket upgrade alike: all three call `authenticate`, so a request
 * refused on `/api/files` is refused the same way on `/api/ws`.
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger(AuthService.name);
  private readonly basic?: { user: Buffer; password: Buffer };
  private readonly challenge: string;

  constructor(
    @Inject(FERRO_OPTIONS) options: FerroRealtimeOptions,
    private readonly sessions: BrowserSessionService,
    @Optional() @Inject(BearerTokenVerifier) private readonly bearer?: BearerTokenVerifier | null,
  ) {
    this.basic = options.simpleAuth && digestCredentials(options.simpleAuth);
    this.challenge = [this.basic && BASIC_CHALLENGE, this.bearer && BEARER_CHALLENGE]
      .filter(Boolean)
      .join(', ');
  }

  onModuleInit(): void {
    if (!this.enabled) {
      this.logger.warn(
        'authentication is OFF: anyone who can reach this server can read and change files ' +
          '(set FERRO_ADMIN_USER and FERRO_ADMIN_PASSWORD, or FERRO_OIDC_ISSUER, to turn it on)',
      );
    }
  }

  get enabled(): boolean {
    return this.basic !== undefined || Boolean(this.bearer);
  }

  /**
   * The principal behind `req`, or a 401 `FerroError` when auth is on and
   * the request does not carry valid credentials. With both modes on,
   * either is accepted; the `Authorization` scheme picks which one checks.
   */
  async authenticate(req: IncomingMessage): Promise<Principal> {
    if (!this.enabled) {
      return ANONYMOUS;
    }

    const [, scheme = '', token = ''] = AUTHORIZATION.exec(req.headers.authorization ?? '') ?? [];
    switch (scheme.toLowerCase()) {
      case 'bearer':
        return this.viaBearer(token);
      case 'basic':
        return this.viaBasic(req);
      case '':
        return this.viaSession(req);
      default:
        throw this.unauthorized(`unsupported scheme ${JSON.stringify(scheme.slice(0, 20))}`);
    }
  }

  /** A browser that logged in through OIDC carries only its session cookie. */
  private async viaSession(req: IncomingMessage): Promise<Principal> {
    const principal = this.sessions.enabled ? await this.sessions.principalOf(req) : undefined;
    if (!principal) {
      throw this.unauthorized('no credentials');
    }

    return principal;
  }

  private async viaBearer(token: string): Promise<Principal> {
    if (!this.bearer) {
      throw this.unauthorized('Bearer token sent but OIDC is off');
    }

    try {
      return await this.bearer.verify(token);
    } catch (error) {
      // Re-issued with every challenge this server offers, not only Bearer.
      if (error instanceof FerroError && error.status === HttpStatus.UNAUTHORIZED) {
        throw this.unauthorized(error.cause, 'error="invalid_token"');
      }
      throw error;
    }
  }

  private viaBasic(req: IncomingMessage): Principal {
    const credentials = this.basic && parseBasicAuth(req);
    if (credentials && this.matches(credentials.name, credentials.pass)) {
      return { name: credentials.name, method: 'basic' };
    }

    throw this.unauthorized(credentials ? 'wrong user or password' : 'malformed Basic credentials');
  }

  /**
   * The 401 for this server, with a challenge for each mode that is on.
   * `cause` is for the log; the client always gets the same message.
   */
  unauthorized(cause?: string, bearerError?: string): FerroError {
    const challenge = bearerError
      ? this.challenge.replace(BEARER_CHALLENGE, `${BEARER_CHALLENGE}, ${bearerError}`)
      : this.challenge;
    return new FerroError(
      HttpStatus.UNAUTHORIZED,
      ErrorCode.Unauthorized,
      'Authentication required',
      {},
      challenge ? { 'WWW-Authenticate': challenge } : {},
      cause,
    );
  }

  /**
   * Both digests are compared every time, whichever differs, so the answer
   * takes the same time for a wrong user as for a wrong password. Hashing
   * first gives `timingSafeEqual` equal lengths without leaking the length.
   */
  private matches(user: string, password: string): boolean {
    const expected = this.basic!;
    const userOk = timingSafeEqual(sha256(user), expected.user);
    const passwordOk = timingSafeEqual(sha256(password), expected.password);
    return userOk && passwordOk;
  }
}

function digestCredentials(auth: SimpleAuthOptions): { user: Buffer; password: Buffer } {
  return { user: sha256(auth.user), password: sha256(auth.password) };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
