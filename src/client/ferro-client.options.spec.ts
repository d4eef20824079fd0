import { resolveOptions } from './ferro-client.options.js';
import type { FerroClientOptions, WebSocketConstructor } from './ferro-client.options.js';

class NoSocket {
  onopen = null;
  onmessage = null;
  onerror = null;
  onclose = null;
  close(): void {}
}

function options(overrides: Record<string, unknown> = {}): FerroClientOptions {
  return {
    url: 'http://ferro.test',
    WebSocket: NoSocket as WebSocketConstructor,
    fetch: async () => ({ status: 200, json: async () => ({}) }),
    ...overrides,
  } as FerroClientOptions;
}

describe('resolveOptions', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('fills in the documented defaults', () => {
    const sut = resolveOptions(options());

    expect(sut).toMatchObject({
      auth: { type: 'none' },
      cursor: undefined,
      backoffBaseMs: 1_000,
      backoffCapMs: 30_000,
      stableAfterMs: 10_000,
      idleTimeoutMs: 75_000,
      requestTimeoutMs: 30_000,
      random: Math.random,
      deltaLimit: 1_000,
    });
    expect(sut.base.href).toBe('http://ferro.test/');
  });

  it('keeps a path prefix and drops query and fragment from the base', () => {
    const sut = resolveOptions(options({ url: 'https://host.test/ferro?x=1#y' }));

    expect(sut.base.href).toBe('https://host.test/ferro/');
  });

  it('calls an injected fetch without a receiver', async () => {
    const fetch = vi.fn(async () => ({ status: 200, json: async () => ({}) }));
    const sut = resolveOptions(options({ fetch }));

    await sut.fetch('http://ferro.test/', {
      method: 'GET',
      headers: {},
      signal: new AbortController().signal,
    });

    expect(fetch.mock.contexts).toEqual([undefined]);
  });

  it('names the missing WebSocket where there is none (Node 20)', () => {
    const given = options({ WebSocket: undefined });
    vi.stubGlobal('WebSocket', undefined);

    expect(() => resolveOptions(given)).toThrow(/pass one as the WebSocket option/);
  });

  it.each([
    ['a relative url', { url: '/api' }, /url must be/],
    ['a ws url', { url: 'ws://ferro.test' }, /url must be/],
    ['an unknown auth type', { auth: { type: 'magic' } }, /auth must be/],
    ['basic auth without a password', { auth: { type: 'basic', user: 'a' } }, /auth must be/],
    ['a bearer token that is a number', { auth: { type: 'bearer', token: 1 } }, /auth must be/],
    ['a negative clock', { cursor: { clock: -1 } }, /cursor.clock/],
    ['a fractional clock', { cursor: { clock: 1.5 } }, /cursor.clock/],
    ['an empty epoch', { cursor: { clock: 1, epoch: '' } }, /cursor.epoch/],
    ['a negative base delay', { backoffBaseMs: -1 }, /backoffBaseMs/],
    ['an infinite cap', { backoffCapMs: Infinity }, /backoffCapMs/],
    ['a stable period that is no number', { stableAfterMs: 'soon' }, /stableAfterMs/],
    ['a negative idle timeout', { idleTimeoutMs: -1 }, /idleTimeoutMs/],
    ['an idle timeout that is NaN', { idleTimeoutMs: Number.NaN }, /idleTimeoutMs/],
    ['a negative request timeout', { requestTimeoutMs: -1 }, /requestTimeoutMs/],
    ['an infinite request timeout', { requestTimeoutMs: Infinity }, /requestTimeoutMs/],
    ['a request timeout that is no number', { requestTimeoutMs: '30s' }, /requestTimeoutMs/],
    ['a delta limit above the server maximum', { deltaLimit: 10_001 }, /deltaLimit/],
    ['a delta limit of 0', { deltaLimit: 0 }, /deltaLimit/],
    ['a random that is no function', { random: 0.5 }, /random/],
    ['a fetch that is no function', { fetch: 'fetch' }, /fetch/],
  ])('refuses %s with a TypeError', (_name, overrides, message) => {
    expect(() => resolveOptions(options(overrides))).toThrow(TypeError);
    expect(() => resolveOptions(options(overrides))).toThrow(message);
  });
});
