/** How this server trusts an OpenID provider. */
export interface OidcOptions {
  /** The issuer exactly as the provider states it in its discovery document. */
  issuer: string;
  /** The client registered at the provider, for the browser login flow. */
  clientId?: string;
  clientSecret?: string;
  /**
   * The `aud` an access token must carry.
   * @default clientId
   */
  audience: string;
}
