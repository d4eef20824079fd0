/** Upper bound on the discovery request, which the first login or token check awaits. */
export const DISCOVERY_TIMEOUT_MS = 5_000;

/**
 * What this server uses of a provider's discovery document. Only `jwksUri`
 * is needed to check bearer tokens; the browser login needs the rest, so a
 * provider without them still serves the bearer path.
 */
export interface ProviderMetadata {
  issuer: string;
  jwksUri: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  userinfoEndpoint?: string;
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
    redirect: 'error',
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
    jwksUri: endpoint(document, 'jwks_uri', url),
    authorizationEndpoint: optionalEndpoint(document, 'authorization_endpoint', url),
    tokenEndpoint: optionalEndpoint(document, 'token_endpoint', url),
    userinfoEndpoint: optionalEndpoint(document, 'userinfo_endpoint', url),
  };
}

function endpoint(document: Record<string, unknown>, field: string, url: string): string {
  const value = optionalEndpoint(document, field, url);
  if (value === undefined) {
    throw new Error(`discovery at ${url} has no ${field}`);
  }
  return value;
}

function optionalEndpoint(
  document: Record<string, unknown>,
  field: string,
  url: string,
): string | undefined {
  const value = document[field];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new Error(`discovery at ${url} has an unusable ${field}`);
  }
  return value;
}
