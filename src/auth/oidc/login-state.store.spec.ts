import type { Request } from 'express';

import { LoginStateStore, MAX_PENDING_LOGINS, PENDING_LOGIN_TTL_MS } from './login-state.store.js';
import type { LoginCheckContext, LoginStartContext } from './login-state.store.js';

type SessionRequest = Pick<Request, 'session'>;

interface Verified {
  error: Error | null;
  context?: LoginCheckContext | false;
  state?: unknown;
}

function sessionRequest(): SessionRequest {
  return { session: {} } as SessionRequest;
}

function start(
  sut: LoginStateStore,
  req: SessionRequest,
  appState: unknown = { returnTo: '/' },
  context: LoginStartContext = { nonce: 'n-1' },
): string {
  let handle: string | undefined;
  sut.store(req, context, appState, {}, (error, stored) => {
    if (error) throw error;
    handle = stored;
  });
  if (handle === undefined) throw new Error('the store yielded no handle');
  return handle;
}

function verify(sut: LoginStateStore, req: SessionRequest, handle: unknown): Verified {
  let verified: Verified | undefined;
  sut.verify(req, handle, (error, context, state) => {
    verified = { error, context, state };
  });
  if (!verified) throw new Error('verify did not call back');
  return verified;
}

describe(LoginStateStore.name, () => {
  let now: number;
  let sut: LoginStateStore;

  beforeEach(() => {
    now = 1_000_000;
    sut = new LoginStateStore({ now: () => now });
  });

  it('gives back the nonce and app state of the login a handle names', () => {
    const req = sessionRequest();
    const handle = start(sut, req, { returnTo: '/a' }, { nonce: 'n-a' });

    const verified = verify(sut, req, handle);

    expect(verified).toEqual({
      error: null,
      context: { nonce: 'n-a', maxAge: undefined, issued: undefined },
      state: { returnTo: '/a' },
    });
    expect(handle).toMatch(/^[\w-]{32}$/);
  });

  it('gives back issued as a Date, which the strategy compares with auth_time', () => {
    const req = sessionRequest();
    const issued = new Date(now);
    const handle = start(sut, req, undefined, { maxAge: 60, issued });

    const { context } = verify(sut, req, handle);

    expect(context).toEqual({ nonce: undefined, maxAge: 60, issued });
  });

  it('completes several pending logins in any order', () => {
    const req = sessionRequest();
    const first = start(sut, req, { returnTo: '/1' });
    const second = start(sut, req, { returnTo: '/2' });
    const third = start(sut, req, { returnTo: '/3' });

    const results = [second, first, third].map((handle) => verify(sut, req, handle).state);

    expect(results).toEqual([{ returnTo: '/2' }, { returnTo: '/1' }, { returnTo: '/3' }]);
    expect(req.session.pendingLogins).toBeUndefined();
  });

  it('accepts a handle once', () => {
    const req = sessionRequest();
    const handle = start(sut, req);
    verify(sut, req, handle);

    const replay = verify(sut, req, handle);

    expect(replay.context).toBe(false);
  });

  it.each([
    ['an unknown handle', 'x'.repeat(32)],
    ['an empty handle', ''],
    ['no handle', undefined],
    ['an array of handles', ['a', 'b']],
    ['a number', 42],
  ])('refuses %s and leaves the pending logins alone', (_case, bogus) => {
    const req = sessionRequest();
    const handle = start(sut, req);

    const refused = verify(sut, req, bogus);
    const completed = verify(sut, req, handle);

    expect(refused).toEqual({
      error: null,
      context: false,
      state: { message: 'login state unknown, expired or used' },
    });
    expect(completed.context).toMatchObject({ nonce: 'n-1' });
  });

  it('refuses a handle made for another session', () => {
    const handle = start(sut, sessionRequest());

    const verified = verify(sut, sessionRequest(), handle);

    expect(verified.context).toBe(false);
  });

  it('expires each login on its own', () => {
    const req = sessionRequest();
    const older = start(sut, req);
    now += PENDING_LOGIN_TTL_MS / 2;
    const newer = start(sut, req);
    now += PENDING_LOGIN_TTL_MS / 2;

    const results = [verify(sut, req, older), verify(sut, req, newer)];

    expect(results.map((r) => r.context !== false)).toEqual([false, true]);
  });

  it(`keeps the newest ${MAX_PENDING_LOGINS} logins of a session`, () => {
    const req = sessionRequest();
    const handles = Array.from({ length: MAX_PENDING_LOGINS + 1 }, () => start(sut, req));

    const accepted = handles.map((handle) => verify(sut, req, handle).context !== false);

    expect(accepted).toEqual([false, ...Array<boolean>(MAX_PENDING_LOGINS).fill(true)]);
  });

  it('moves pending logins into another session', () => {
    const before = sessionRequest();
    start(sut, before);
    const handle = start(sut, before, { returnTo: '/moved' });
    const after = sessionRequest();

    sut.keep(after, sut.pendingOf(before));

    expect(verify(sut, after, handle).state).toEqual({ returnTo: '/moved' });
  });

  it('reports a missing session as an error', () => {
    const req = {} as SessionRequest;

    const verified = verify(sut, req, 'x');

    expect(verified.error).toBeInstanceOf(Error);
    expect(() => start(sut, req)).toThrow(/needs a session/);
  });

  it.each([[{ maxPending: 0 }], [{ maxPending: 1.5 }], [{ ttlMs: 0 }], [{ ttlMs: Number.NaN }]])(
    'refuses the limits %j',
    (limits) => {
      expect(() => new LoginStateStore(limits)).toThrow(TypeError);
    },
  );
});
