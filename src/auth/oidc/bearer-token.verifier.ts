import { HttpStatus, Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';

import { ErrorCode } from '../../common/error-codes.js';
import { FerroError } from '../../common/ferro.error.js';
import type { Principal } from '../principal.js';
import type { OidcOptions } from './oidc.options.js';

/**
 * Asymmetric algorithms only. Listing them closes the two classic holes:
 * `none` (no signature at all) and HS* signed with the provider's public
 * key used as an HMAC secret.
 */
export const ALLOWED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
export const CLOCK_TOLERANCE_S = 30;

/** Upper bound on the discovery request, which the first `verify` awaits. */
export const DISCOVERY_TIMEOUT_MS = 5_000;

/** After a failed discovery, callers get the same refusal for this long. */
export const DISCOVERY_RETRY_MS = 30_000;

/**
 * JWKS fetching, passed to jose. An unknown `kid` triggers a refetch at
 * most once per cooldown, so a flood of forged `kid`s cannot turn us into
 * a load generator against the provider.
 */
export const JWKS_OPTIONS = {
  timeoutDuration: 5_000,
  cooldownDuration: 30_000,
  cacheMaxAge: 10 * 60_000,
} as const;

/** A refusal whose message is the precise cause, for the log only. */
class TokenRefusal extends Error {}

/**
 * Verifies OIDC access tokens sent as `Authorization: Bearer` against the
 * issuer's discovery document and JWKS. Every failure answers with the same
 * 401; the precise cause is logged once at warn, the token never.
 */
export class BearerTokenVerifier {
  private keys?: Promise<JWTVerifyGetKey>;
  private retryDiscoveryAt = 0;

  constructor(
    private readonly options: OidcOptions,
    private readonly logger: Pick<LoggerService, 'warn'> = new Logger(BearerTokenVerifier.name),
  ) {}

  async verify(token: string): Promise<Principal> {
    try {
      return await this.principalFrom(token);
    } catch (error) {
      this.logger.warn(`Bearer token refused: ${causeOf(error)}`);
      throw unauthorized();
    }
  }

  private async principalFrom(token: string): Promise<Principal> {
    if (typeof token !== 'string' || token === '') {
      throw new TokenRefusal('empty token');
    }

    const { payload } = await jwtVerify(token, await this.remoteKeys(), {
      issuer: this.options.issuer,
      audience: this.options.audience,
      algorithms: [...ALLOWED_ALGORITHMS],
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp', 'sub'],
    });
    return toPrincipal(payload);
  }

  /**
   * Discovery runs lazily on first use and is cached for the life of this
   * verifier. A failure is remembered for a while, so an unreachable or
   * misconfigured provider is not asked again on every request.
   */
  private remoteKeys(): Promise<JWTVerifyGetKey> {
    const retryDue = this.retryDiscoveryAt !== 0 && Date.now() >= this.retryDiscoveryAt;
    if (this.keys && !retryDue) {
      return this.keys;
    }

    this.retryDiscoveryAt = 0;
    this.keys = this.discover().catch((error: unknown) => {
      this.retryDiscoveryAt = Date.now() + DISCOVERY_RETRY_MS;
      throw error;
    });
    return this.keys;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const { issuer } = this.options;
    // OpenID Connect Discovery 1.0, section 4: drop one trailing slash
    // before appending the well-known path; the issuer itself stays exact.
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    if (!response.ok) {
      throw new TokenRefusal(`discovery at ${url} answered ${response.status}`);
    }

    const document = (await response.json()) as Record<string, unknown>;
    // Compared exactly, trailing slash included: a provider that states
    // `https://idp/` signs tokens with that `iss`, and guessing the other
    // form would accept tokens meant for a different issuer.
    if (document.issuer !== issuer) {
      throw new TokenRefusal(
        `discovery issuer ${JSON.stringify(document.issuer)} differs from configured ${JSON.stringify(issuer)}`,
      );
    }
    if (typeof document.jwks_uri !== 'string') {
      throw new TokenRefusal(`discovery at ${url} has no jwks_uri`);
    }
    return createRemoteJWKSet(new URL(document.jwks_uri), JWKS_OPTIONS);
  }
}

function toPrincipal(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new TokenRefusal('"sub" claim is not a non-empty string');
  }

  const username = payload.preferred_username;
  const name = typeof username === 'string' && username !== '' ? username : payload.sub;
  return { name, method: 'bearer' };
}

function unauthorized(): FerroError {
  return new FerroError(
    HttpStatus.UNAUTHORIZED,
    ErrorCode.Unauthorized,
    'Authentication required',
    {},
    { 'WWW-Authenticate': 'Bearer realm="Ferro", error="invalid_token"' },
  );
}

/** jose messages name the failed check and never echo the token. */
function causeOf(error: unknown): string {
  if (error instanceof errors.JOSEError) {
    return `${error.code}: ${error.message}`;
  }
  if (error instanceof Error) {
    return `${error.name}: ${error.message}`;
  }
  return String(error);
}
