import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

/** The little of oidc-provider's API this harness uses; it ships no types. */
interface ProviderInstance {
  proxy: boolean;
  callback(): RequestListener;
  on(event: 'server_error', listener: (ctx: unknown, error: Error) => void): void;
}
type ProviderClass = new (issuer: string, configuration: object) => ProviderInstance;

export interface OidcProviderOptions {
  /** Serve the issuer as `http://127.0.0.1:<port>/` instead of without the slash. */
  trailingSlash?: boolean;
  /** @default ['http://127.0.0.1/callback'] */
  redirectUris?: string[];
  /** @default 'ferro-test' */
  clientId?: string;
  /** @default clientId */
  audience?: string;
}

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

export interface MintOptions {
  /** Sign with this key instead of the one the provider publishes now. */
  key?: SigningKey;
  /** The header's `typ`; `null` leaves it out. @default 'at+jwt' */
  typ?: string | null;
}

export interface OidcProviderHarness {
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  audience: string;
  /** The key the provider publishes now and tokens are signed with. */
  currentKey(): SigningKey;
  /** A signed access token; `claims` override the defaults, `undefined` drops one. */
  mintAccessToken(claims?: JWTPayload, options?: MintOptions): Promise<string>;
  /** Replaces the published key set with one new key, on the same port. */
  rotateKeys(): Promise<SigningKey>;
  /** Requests the JWKS endpoint has answered since the start. */
  jwksRequests(): number;
  /** Requests for the discovery document since the start. */
  discoveryRequests(): number;
  close(): Promise<void>;
}

let kidSequence = 0;

/** A fresh RS256 key pair, e.g. one the provider never published. */
export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-key-${++kidSequence}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, alg: 'RS256', privateKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

/**
 * A real oidc-provider on 127.0.0.1 and a free port. It publishes keys we
 * generate, so tests sign their own tokens with them. One HTTP server stays
 * up for the whole run; rotating keys swaps the provider instance behind it,
 * because oidc-provider fixes its key set at construction.
 */
export async function startOidcProvider(
  options: OidcProviderOptions = {},
): Promise<OidcProviderHarness> {
  // A variable specifier keeps tsc from demanding typings the package lacks.
  const specifier = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as { default: ProviderClass };
  const clientId = options.clientId ?? 'ferro-test';
  const clientSecret = 'ferro-test-secret';
  const audience = options.audience ?? clientId;
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  let jwksCount = 0;
  let discoveryCount = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (pathname === '/jwks') jwksCount += 1;
    if (pathname === '/.well-known/openid-configuration') discoveryCount += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}${options.trailingSlash ? '/' : ''}`;

  const configuration = (key: SigningKey, privateJwk: JWK): object => ({
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris ?? ['http://127.0.0.1/callback'],
      },
    ],
    jwks: { keys: [{ ...privateJwk, ...key.publicJwk }] },
    cookies: { keys: ['ferro-test-cookie-key'] },
  });
  let current = await createSigningKey();
  const install = async (key: SigningKey): Promise<void> => {
    const provider = new Provider(issuer, configuration(key, await exportJWK(key.privateKey)));
    provider.on('server_error', (_ctx, error) => console.error(error));
    handler = provider.callback();
  };
  await install(current);

  return {
    issuer,
    port,
    clientId,
    clientSecret,
    audience,
    currentKey: () => current,
    mintAccessToken: (claims = {}, mint = {}) =>
      signToken(mint.key ?? current, { iss: issuer, aud: audience, ...claims }, mint.typ),
    rotateKeys: async () => {
      current = await createSigningKey();
      await install(current);
      return current;
    },
    jwksRequests: () => jwksCount,
    discoveryRequests: () => discoveryCount,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function signToken(
  key: SigningKey,
  claims: JWTPayload,
  typ: string | null = 'at+jwt',
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    sub: 'user-1',
    preferred_username: 'alice',
    iat: now,
    exp: now + 300,
    ...claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...(typ === null ? {} : { typ }) })
    .sign(key.privateKey);
}
