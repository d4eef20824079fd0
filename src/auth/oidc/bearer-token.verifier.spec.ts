import type { Mock } from 'vitest';

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

async function expectRefused(attempt: Promise<unknown>): Promise<void> {
  const error: unknown = await attempt.then(
    () => expect.fail('token was accepted'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(FerroError);
  expect(error).toMatchObject({
    status: 401,
    code: ErrorCode.Unauthorized,
    message: 'Authentication required',
    headers: { 'WWW-Authenticate': 'Bearer realm="Ferro", error="invalid_token"' },
  });
}

describe(BearerTokenVerifier.name, () => {
  let provider: OidcProviderHarness;
  let logger: { warn: Mock<(message: string) => void> };
  let sut: BearerTokenVerifier;

  const createSut = (options: Partial<OidcOptions> = {}): BearerTokenVerifier =>
    new BearerTokenVerifier(
      { issuer: provider.issuer, audience: provider.audience, ...options },
      logger,
    );

  beforeEach(async () => {
    provider = await startOidcProvider();
    logger = { warn: vi.fn<(message: string) => void>() };
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
    expect(logger.warn).not.toHaveBeenCalled();
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

    await expectRefused(sut.verify(bad));

    expect(logger.warn).toHaveBeenCalledOnce();
    const [message] = logger.warn.mock.calls[0];
    expect(message).toMatch(cause);
    if (bad !== '') expect(message).not.toContain(bad);
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
    expect(logger.warn).toHaveBeenCalledTimes(100);
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
    await expectRefused(sut.verify(token));
    await expectRefused(sut.verify(token));
    expect(provider.discoveryRequests()).toBe(1);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + DISCOVERY_RETRY_MS + 1_000);
    await expectRefused(sut.verify(token));

    expect(provider.discoveryRequests()).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(3);
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
      sut = new BearerTokenVerifier({ issuer, audience: slashed.audience }, logger);

      await expectRefused(sut.verify(await slashed.mintAccessToken({ iss: issuer })));

      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringMatching(/discovery issuer .* differs from configured/),
      );
    });

    it('accepts tokens when configured exactly as the provider states it', async () => {
      sut = new BearerTokenVerifier({ issuer: slashed.issuer, audience: slashed.audience }, logger);

      const principal = await sut.verify(await slashed.mintAccessToken());

      expect(principal.name).toBe('alice');
    });
  });

  it('refuses every token if the configured issuer adds a slash', async () => {
    sut = createSut({ issuer: `${provider.issuer}/` });

    await expectRefused(sut.verify(await provider.mintAccessToken({ iss: `${provider.issuer}/` })));

    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/discovery issuer/));
  });
});
