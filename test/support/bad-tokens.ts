import { base64url, SignJWT } from 'jose';

import { createSigningKey } from './oidc-provider.js';
import type { OidcProviderHarness } from './oidc-provider.js';

export const nowS = (): number => Math.floor(Date.now() / 1000);

function unsigned(header: object, payload: object): string {
  const part = (value: object): string => base64url.encode(JSON.stringify(value));
  return `${part(header)}.${part(payload)}.`;
}

async function tampered(provider: OidcProviderHarness): Promise<string> {
  const [header, , signature] = (await provider.mintAccessToken()).split('.');
  const payload = { iss: provider.issuer, aud: provider.audience, sub: 'admin', exp: nowS() + 300 };
  return `${header}.${base64url.encode(JSON.stringify(payload))}.${signature}`;
}

function hmacWithPublicKey(provider: OidcProviderHarness): Promise<string> {
  const { kid, publicPem } = provider.currentKey();
  return new SignJWT({ iss: provider.issuer, aud: provider.audience, sub: 'admin' })
    .setProtectedHeader({ alg: 'HS256', kid })
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(publicPem));
}

async function unknownKid(provider: OidcProviderHarness): Promise<string> {
  return provider.mintAccessToken({}, { key: await createSigningKey() });
}

/**
 * Access tokens a verifier must refuse, each built against a real provider
 * harness, with the cause the verifier is expected to log. Shared by the
 * verifier's unit tests and the end-to-end auth tests.
 */
export const badTokens: {
  name: string;
  token: (provider: OidcProviderHarness) => Promise<string> | string;
  cause: RegExp;
}[] = [
  {
    name: 'expired beyond the tolerance',
    token: (p) => p.mintAccessToken({ iat: nowS() - 400, exp: nowS() - 60 }),
    cause: /ERR_JWT_EXPIRED/,
  },
  {
    name: 'not valid until beyond the tolerance',
    token: (p) => p.mintAccessToken({ nbf: nowS() + 60 }),
    cause: /"nbf"/,
  },
  {
    name: 'from another issuer',
    token: (p) => p.mintAccessToken({ iss: 'http://127.0.0.1:1' }),
    cause: /"iss"/,
  },
  {
    name: 'for another audience',
    token: (p) => p.mintAccessToken({ aud: 'someone-else' }),
    cause: /"aud"/,
  },
  {
    name: 'with an aud array that lacks our audience',
    token: (p) => p.mintAccessToken({ aud: ['a', 'b'] }),
    cause: /"aud"/,
  },
  { name: 'with a tampered payload', token: tampered, cause: /SIGNATURE_VERIFICATION/ },
  {
    name: 'with alg none',
    token: (p) =>
      unsigned(
        { alg: 'none', typ: 'JWT' },
        { iss: p.issuer, aud: p.audience, sub: 'admin', exp: nowS() + 300 },
      ),
    cause: /ERR_JOSE_ALG_NOT_ALLOWED|ERR_JWS_INVALID/,
  },
  {
    name: 'HS256 keyed with the provider public key',
    token: hmacWithPublicKey,
    cause: /ERR_JOSE_ALG_NOT_ALLOWED/,
  },
  {
    name: 'signed by a key the provider never published',
    token: unknownKid,
    cause: /ERR_JWKS_NO_MATCHING_KEY/,
  },
  {
    name: 'without exp',
    token: (p) => p.mintAccessToken({ exp: undefined }),
    cause: /"exp"/,
  },
  {
    name: 'without sub',
    token: (p) => p.mintAccessToken({ sub: undefined }),
    cause: /"sub"/,
  },
  {
    name: 'that is an ID token (nonce)',
    token: (p) => p.mintAccessToken({ nonce: 'n-0S6_WzA2Mj' }),
    cause: /ID token/,
  },
  {
    name: 'that is an ID token (at_hash)',
    token: (p) => p.mintAccessToken({ at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }),
    cause: /ID token/,
  },
  {
    name: 'typed as something other than an access token',
    token: (p) => p.mintAccessToken({}, { typ: 'application/id+jwt' }),
    cause: /not an access token/,
  },
  { name: 'that is garbage', token: () => 'not.a-jwt', cause: /ERR_JW[ST]_INVALID/ },
  { name: 'that is empty', token: () => '', cause: /empty token/ },
];
