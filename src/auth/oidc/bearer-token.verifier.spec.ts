import { badTokens, nowS } from '../../../test/support/bad-tokens.js';
import { createSigningKey, startOidcProvider } from '../../../test/support/oidc-provider.js';
import type { OidcProviderHarness } from '../../../test/support/oidc-provider.js';
import { ErrorCode } from '../../common/error-codes.js';
import { FerroError } from '../../common/ferro.error.js';
import { BearerTokenVerifier, DISCOVERY_RETRY_MS, JWKS_OPTIONS } from './bearer-token.verifier.js';
import type { OidcOptions } from './oidc.options.js';

/** Moves `Date` past jose's unknown-kid cooldown; network timers stay real. */
function passJwksCooldown(): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + JWKS_OPTIONS.cooldownDuration + 1_000);
}

async function rejectionOf(attempt: Promise<unknown>): Promise<FerroError> {
  const error: unknown = await attempt.then(
    () => expect.fail('token was accepted'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(FerroError);
  return error as FerroError;
}

async function expectRefused(attempt: Promise<unknown>): Promise<FerroError> {
  const error = await rejectionOf(attempt);
  expect(error).toMatchObject({
    status: 401,
    code: ErrorCode.Unauthorized,
    message: 'Authentication required',
    headers: { 'WWW-Authenticate': 'Bearer realm="Ferro", error="invalid_token"' },
  });
  return error;
}

/** The provider cannot vouch for any token: 503, so clients keep their tokens. */
async function expectUnavailable(attempt: Promise<unknown>): Promise<FerroError> {
  const error = await rejectionOf(attempt);
  expect(error).toMatchObject({ status: 503, code: ErrorCode.AuthUnavailable });
  return error;
}

describe(BearerTokenVerifier.name, () => {
  let provider: OidcProviderHarness;
  let sut: BearerTokenVerifier;

  const createSut = (options: Partial<OidcOptions> = {}): BearerTokenVerifier =>
    new BearerTokenVerifier({ issuer: provider.issuer, audience: provider.audience, ...options });

  beforeEach(async () => {
    provider = await startOidcProvider();
    sut = createSut();
  });

  afterEach(async () => {
    vi.useRealTimers();
    await provider.close();
  });

  it('names the principal after preferred_username', async () => {
    const token = await provider.mintAccessToken({ preferred_username: 'alice' });

    const principal = await sut.verify(token);

    expect(principal).toEqual({ name: 'alice', method: 'bearer' });
  });

  it('falls back to sub when there is no preferred_username', async () => {
    const token = await provider.mintAccessToken({ sub: 'u-42', preferred_username: undefined });

    const principal = await sut.verify(token);

    expect(principal).toEqual({ name: 'u-42', method: 'bearer' });
  });

  it('accepts an aud array that contains our audience', async () => {
    const token = await provider.mintAccessToken({ aud: ['other-api', provider.audience] });

    const principal = await sut.verify(token);

    expect(principal.name).toBe('alice');
  });

  it('accepts a token expired by less than the clock tolerance', async () => {
    const token = await provider.mintAccessToken({ exp: nowS() - 10 });

    await expect(sut.verify(token)).resolves.toMatchObject({ method: 'bearer' });
  });

  it.each(badTokens)('refuses a token $name', async ({ token, cause }) => {
    const bad = await token(provider);

    const error = await expectRefused(sut.verify(bad));

    expect(error.cause).toMatch(cause);
    if (bad !== '') expect(error.cause).not.toContain(bad);
  });

  it.each([['JWT'], [null]])('accepts an access token typed %s', async (typ) => {
    const token = await provider.mintAccessToken({}, { typ });

    await expect(sut.verify(token)).resolves.toMatchObject({ method: 'bearer' });
  });

  it('keeps the last keys working while the provider is down, past their cache age', async () => {
    const token = await provider.mintAccessToken();
    await sut.verify(token);

    await provider.close();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + JWKS_OPTIONS.cacheMaxAge + 1_000);
    const later = await provider.mintAccessToken();

    await expect(sut.verify(later)).resolves.toMatchObject({ name: 'alice' });
    await expect(sut.verify(later)).resolves.toMatchObject({ name: 'alice' });
    provider = await startOidcProvider();
  });

  it('answers 503, not 401, while the provider cannot be reached', async () => {
    const token = await provider.mintAccessToken();
    await provider.close();

    const error = await expectUnavailable(sut.verify(token));

    expect(error.headers['Retry-After']).toBeDefined();
    provider = await startOidcProvider();
  });

  it('follows a key rotation without a new verifier', async () => {
    const oldToken = await provider.mintAccessToken();
    await sut.verify(oldToken);
    const fetchedBefore = provider.jwksRequests();

    await provider.rotateKeys();
    passJwksCooldown();
    const principal = await sut.verify(await provider.mintAccessToken());

    expect(principal.name).toBe('alice');
    expect(provider.jwksRequests()).toBe(fetchedBefore + 1);
    await expectRefused(sut.verify(oldToken));
  });

  it('refetches the JWKS at most once for a burst of unknown kids', async () => {
    await sut.verify(await provider.mintAccessToken());
    passJwksCooldown();
    const forger = await createSigningKey();
    const forged = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        provider.mintAccessToken({}, { key: { ...forger, kid: `forged-${i}` } }),
      ),
    );
    const fetchedBefore = provider.jwksRequests();

    const results = await Promise.allSettled(forged.slice(0, 50).map((t) => sut.verify(t)));
    for (const token of forged.slice(50)) {
      results.push(await Promise.allSettled([sut.verify(token)]).then(([r]) => r));
    }

    const refused = results.filter(
      (r) => r.status === 'rejected' && r.reason instanceof FerroError && r.reason.status === 401,
    );
    expect(refused).toHaveLength(100);
    expect(provider.jwksRequests() - fetchedBefore).toBe(1);
  });

  it('fetches discovery once, shared by concurrent first calls', async () => {
    const tokens = await Promise.all([1, 2, 3].map(() => provider.mintAccessToken()));

    await Promise.all(tokens.map((token) => sut.verify(token)));
    await sut.verify(tokens[0]);

    expect(provider.discoveryRequests()).toBe(1);
    expect(provider.jwksRequests()).toBe(1);
  });

  it('asks again after a failed discovery only once the retry window passed', async () => {
    sut = createSut({ issuer: `${provider.issuer}/` });
    const token = await provider.mintAccessToken({ iss: `${provider.issuer}/` });
    await expectUnavailable(sut.verify(token));
    await expectUnavailable(sut.verify(token));
    expect(provider.discoveryRequests()).toBe(1);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + DISCOVERY_RETRY_MS + 1_000);
    await expectUnavailable(sut.verify(token));

    expect(provider.discoveryRequests()).toBe(2);
  });

  describe('when the discovery issuer has a trailing slash', () => {
    let slashed: OidcProviderHarness;

    beforeEach(async () => {
      slashed = await startOidcProvider({ trailingSlash: true });
    });

    afterEach(async () => {
      await slashed.close();
    });

    it('refuses every token if the configured issuer lacks the slash', async () => {
      const issuer = slashed.issuer.replace(/\/$/, '');
      sut = new BearerTokenVerifier({ issuer, audience: slashed.audience });

      const error = await expectUnavailable(
        sut.verify(await slashed.mintAccessToken({ iss: issuer })),
      );

      expect(error.cause).toMatch(/discovery issuer .* differs from configured/);
    });

    it('accepts tokens when configured exactly as the provider states it', async () => {
      sut = new BearerTokenVerifier({ issuer: slashed.issuer, audience: slashed.audience });

      const principal = await sut.verify(await slashed.mintAccessToken());

      expect(principal.name).toBe('alice');
    });
  });

  it('refuses every token if the configured issuer adds a slash', async () => {
    sut = createSut({ issuer: `${provider.issuer}/` });

    const error = await expectUnavailable(
      sut.verify(await provider.mintAccessToken({ iss: `${provider.issuer}/` })),
    );

    expect(error.cause).toMatch(/discovery issuer/);
  });
});
