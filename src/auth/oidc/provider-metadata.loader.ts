import { DISCOVERY_TIMEOUT_MS } from './bearer-token.verifier.js';

/** The endpoints of a provider that the browser login needs. */
export interface ProviderMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  jwksUri: string;
}

/**
 * Reads the provider's discovery document and checks that it speaks for
 * exactly the configured issuer (OpenID Connect Discovery §4.3): a
 * document naming another issuer would let that one's tokens in.
 * Throws with a message for the log when the provider cannot be used.
 */
export async function loadProviderMetadata(issuer: string): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
  });
  if (!response.ok) {
    throw new Error(`discovery at ${url} answered ${response.status}`);
  }

  const document = (await response.json()) as Record<string, unknown>;
  if (document.issuer !== issuer) {
    throw new Error(
      `discovery issuer ${JSON.stringify(document.issuer)} differs from configured ${JSON.stringify(issuer)}`,
    );
  }
  return {
    issuer,
    authorizationEndpoint: endpoint(document, 'authorization_endpoint', url),
    tokenEndpoint: endpoint(document, 'token_endpoint', url),
    userinfoEndpoint: endpoint(document, 'userinfo_endpoint', url),
    jwksUri: endpoint(document, 'jwks_uri', url),
  };
}

function endpoint(document: Record<string, unknown>, field: string, url: string): string {
  const value = document[field];
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new Error(`discovery at ${url} has no usable ${field}`);
  }
  return value;
}
