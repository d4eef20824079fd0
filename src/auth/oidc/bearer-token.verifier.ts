import { HttpStatus } from '@nestjs/common';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTHeaderParameters, JWTPayload, JWTVerifyOptions, RemoteJWKSet } from 'jose';

import { ErrorCode } from '../../common/error-codes.js';
import { FerroError } from '../../common/ferro.error.js';
import type { Principal } from '../principal.js';
import type { OidcOptions } from './oidc.options.js';
import { loadProviderMetadata } from './provider-metadata.loader.js';

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

/** After a failed discovery, callers get the same 503 for this long. */
export const DISCOVERY_RETRY_MS = 5_000;

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

/** Header `typ` values an access token may carry (RFC 9068 §2.1), or none. */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt']);

/**
 * Claims only ID tokens carry. An ID token is signed by the same keys and,
 * when the audience is the client id, names the same `aud`; it proves a
 * login to the client, not a grant to call this API, so it is refused.
 */
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash'] as const;

/** A token that is not acceptable; the message is the cause, for the log only. */
class TokenRefusal extends Error {}

/** The provider could not be asked (down, slow, or answering garbage). */
class ProviderUnavailable extends Error {}

/**
 * Verifies OIDC access tokens sent as `Authorization: Bearer` against the
 * issuer's discovery document and JWKS. A bad token is a 401 and an
 * unreachable provider a 503, so clients do not throw away good tokens
 * during an outage. The precise cause travels as the error's `cause`, for
 * the one log line the edge writes; the token itself is never logged.
 */
export class BearerTokenVerifier {
  private remote?: Promise<RemoteJWKSet>;
  private retryDiscoveryAt = 0;
  /** Until then, the JWKS endpoint is not asked again after a failure. */
  private jwksFailedUntil = 0;

  constructor(private readonly options: OidcOptions) {}

  async verify(token: string): Promise<Principal> {
    try {
      return await this.principalFrom(token);
    } catch (error) {
      throw error instanceof ProviderUnavailable || isFetchFailure(error)
        ? unavailable(causeOf(error))
        : refused(causeOf(error));
    }
  }

  private async principalFrom(token: string): Promise<Principal> {
    if (typeof token !== 'string' || token === '') {
      throw new TokenRefusal('empty token');
    }

    const { payload, protectedHeader } = await this.verifySignature(token);
    assertAccessToken(protectedHeader, payload);
    return toPrincipal(payload);
  }

  /**
   * Verifies against the provider's keys. While the JWKS endpoint fails,
   * the keys fetched last keep working and the endpoint is asked again
   * only after a cooldown, so an outage neither locks every user out nor
   * turns each request with an unknown `kid` into a fetch.
   */
  private async verifySignature(token: string) {
    const remote = await this.remoteKeys();
    const cached = remote.jwks();
    if (cached && Date.now() < this.jwksFailedUntil) {
      return jwtVerify(token, createLocalJWKSet(cached), this.verifyOptions());
    }

    try {
      return await jwtVerify(token, remote, this.verifyOptions());
    } catch (error) {
      if (!isFetchFailure(error)) {
        throw error;
      }

      this.jwksFailedUntil = Date.now() + JWKS_OPTIONS.cooldownDuration;
      if (!cached) {
        throw error;
      }
      return jwtVerify(token, createLocalJWKSet(cached), this.verifyOptions());
    }
  }

  private verifyOptions(): JWTVerifyOptions {
    return {
      issuer: this.options.issuer,
      audience: this.options.audience,
      algorithms: [...ALLOWED_ALGORITHMS],
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp', 'sub'],
    };
  }

  /**
   * Discovery runs lazily on first use and is cached for the life of this
   * verifier. A failure is remembered briefly, so an unreachable provider is
   * not asked again on every request.
   */
  private remoteKeys(): Promise<RemoteJWKSet> {
    const retryDue = this.retryDiscoveryAt !== 0 && Date.now() >= this.retryDiscoveryAt;
    if (this.remote && !retryDue) {
      return this.remote;
    }

    this.retryDiscoveryAt = 0;
    this.remote = this.discover().catch((error: unknown) => {
      this.retryDiscoveryAt = Date.now() + DISCOVERY_RETRY_MS;
      throw error;
    });
    return this.remote;
  }

  private async discover(): Promise<RemoteJWKSet> {
    const metadata = await loadProviderMetadata(this.options.issuer).catch((error: unknown) => {
      throw new ProviderUnavailable(causeOf(error));
    });
    return createRemoteJWKSet(new URL(metadata.jwksUri), JWKS_OPTIONS);
  }
}

function assertAccessToken(header: JWTHeaderParameters, payload: JWTPayload): void {
  const typ = header.typ?.toLowerCase();
  if (typ !== undefined && !ACCESS_TOKEN_TYPES.has(typ)) {
    throw new TokenRefusal(`header typ ${JSON.stringify(header.typ)} is not an access token`);
  }

  const idClaim = ID_TOKEN_CLAIMS.find((claim) => payload[claim] !== undefined);
  if (idClaim !== undefined || payload.typ === 'ID') {
    throw new TokenRefusal(`an ID token (claim ${idClaim ?? 'typ'}) is not an access token`);
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

/**
 * Errors that say the provider could not be reached or answered nonsense,
 * as opposed to errors that say the token is bad.
 */
function isFetchFailure(error: unknown): boolean {
  if (error instanceof TokenRefusal) {
    return false;
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return true;
  }
  if (error instanceof errors.JOSEError) {
    return error.code === 'ERR_JOSE_GENERIC';
  }
  return error instanceof ProviderUnavailable || error instanceof TypeError;
}

function refused(cause: string): FerroError {
  return new FerroError(
    HttpStatus.UNAUTHORIZED,
    ErrorCode.Unauthorized,
    'Authentication required',
    {},
    { 'WWW-Authenticate': 'Bearer realm="Ferro", error="invalid_token"' },
    cause,
  );
}

function unavailable(cause: string): FerroError {
  return new FerroError(
    HttpStatus.SERVICE_UNAVAILABLE,
    ErrorCode.AuthUnavailable,
    'The identity provider cannot be reached; try again shortly',
    {},
    { 'Retry-After': String(Math.ceil(DISCOVERY_RETRY_MS / 1000)) },
    cause,
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
