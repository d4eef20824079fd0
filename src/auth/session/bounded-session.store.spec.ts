import type { SessionData } from 'express-session';

import { BoundedSessionStore } from './bounded-session.store.js';

function sessionData(overrides: { user?: string; expires?: Date } = {}): SessionData {
  const cookie = { originalMaxAge: null, expires: overrides.expires };
  const passport = overrides.user === undefined ? undefined : { user: { name: overrides.user } };
  return { cookie, passport } as unknown as SessionData;
}

function setNow(sut: BoundedSessionStore, sid: string, data: SessionData): Promise<void> {
  return new Promise((resolve) => sut.set(sid, data, () => resolve()));
}

describe('BoundedSessionStore', () => {
  let now: number;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('returns a copy of what it stored', async () => {
    const sut = new BoundedSessionStore({ now: () => now });
    await setNow(sut, 'a', sessionData({ user: 'alice' }));

    const first = sut.read('a') as unknown as { passport: { user: { name: string } } };
    first.passport.user.name = 'changed';

    expect(sut.read('a')).toMatchObject({ passport: { user: { name: 'alice' } } });
  });

  it('forgets a session once its cookie has expired', async () => {
    const sut = new BoundedSessionStore({ now: () => now });
    await setNow(sut, 'a', sessionData({ expires: new Date(now + 1000) }));

    now += 1000;

    expect(sut.read('a')).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('expires a session without cookie expiry after the ttl', async () => {
    const sut = new BoundedSessionStore({ ttlMs: 500, now: () => now });
    await setNow(sut, 'a', sessionData());

    now += 499;
    expect(sut.read('a')).toBeDefined();
    now += 1;

    expect(sut.read('a')).toBeUndefined();
  });

  it('evicts pending logins before logged-in sessions when full', async () => {
    const sut = new BoundedSessionStore({ maxSessions: 3, now: () => now });
    await setNow(sut, 'alice', sessionData({ user: 'alice' }));
    await setNow(sut, 'pending-1', sessionData());
    await setNow(sut, 'bob', sessionData({ user: 'bob' }));

    await setNow(sut, 'pending-2', sessionData());

    expect(sut.size).toBe(3);
    expect(sut.read('pending-1')).toBeUndefined();
    expect(sut.read('alice')).toBeDefined();
    expect(sut.read('bob')).toBeDefined();
  });

  it('evicts expired sessions first, then the oldest', async () => {
    const sut = new BoundedSessionStore({ maxSessions: 2, now: () => now });
    await setNow(sut, 'old', sessionData({ user: 'a' }));
    await setNow(sut, 'short', sessionData({ user: 'b', expires: new Date(now + 10) }));
    now += 10;

    await setNow(sut, 'new', sessionData({ user: 'c' }));
    await setNow(sut, 'newer', sessionData({ user: 'd' }));

    expect(sut.read('short')).toBeUndefined();
    expect(sut.read('old')).toBeUndefined();
    expect(sut.read('newer')).toBeDefined();
  });

  it('destroys a session on request', async () => {
    const sut = new BoundedSessionStore({ now: () => now });
    await setNow(sut, 'a', sessionData());

    await new Promise<void>((resolve) => sut.destroy('a', () => resolve()));

    expect(sut.read('a')).toBeUndefined();
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxSessions %s', (maxSessions) => {
    expect(() => new BoundedSessionStore({ maxSessions })).toThrow(TypeError);
  });
});
