import { EventEmitter } from 'node:events';

import type { Mock } from 'vitest';

import type { WebSocketLike } from './ferro-client.options.js';
import { CLOSE_GRACE_MS, SocketSession } from './socket-session.js';
import type { SessionHooks, SessionTimings } from './socket-session.js';

type FakeSocket = WebSocketLike & { close: Mock<WebSocketLike['close']> };

/** A browser's socket: no pings to see, nothing to terminate. */
function fakeSocket(): FakeSocket {
  return { onopen: null, onmessage: null, onerror: null, onclose: null, close: vi.fn() };
}

/** A `ws` socket: it reports pings and can be cut without a handshake. */
class FakeWsSocket extends EventEmitter implements WebSocketLike {
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onclose: WebSocketLike['onclose'] = null;
  close = vi.fn();
  terminate = vi.fn(() => this.onclose?.({ code: 1006, reason: '' }));
}

type SpyHooks = { [K in keyof SessionHooks]: Mock<SessionHooks[K]> };

/** Hooks that lose trust in the socket on the message `'gap'`. */
function hooks(): SpyHooks {
  return {
    opened: vi.fn(),
    received: vi.fn((data: unknown) => data === 'gap'),
    failed: vi.fn(),
  };
}

/** Notes when the promise settles, for the test to look at later. */
function track(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  void promise.then(() => (state.settled = true));
  return state;
}

function timings(overrides: Partial<SessionTimings> = {}): SessionTimings {
  return { stableAfterMs: 60_000, idleTimeoutMs: 0, ...overrides };
}

describe('SocketSession', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends as refused, with what ws said, when the socket never opened', async () => {
    const socket = fakeSocket();
    const spy = hooks();
    const sut = new SocketSession(socket, timings({ stableAfterMs: 1_000 }), spy);

    socket.onerror?.({ message: 'Unexpected server response: 410' });
    socket.onclose?.({ code: 1006, reason: '' });

    expect(await sut.ended).toEqual({ kind: 'refused' });
    expect(spy.failed).toHaveBeenCalledWith(
      expect.objectContaining({
        kind: 'network',
        message: expect.stringMatching(/: Unexpected server response: 410$/),
      }),
    );
  });

  it.each([
    [4000, 'lagged'],
    [1001, 'dropped'],
    [1006, 'dropped'],
  ])('ends a socket closed with %i after it opened as %s', async (code, kind) => {
    const socket = fakeSocket();
    const sut = new SocketSession(socket, timings(), hooks());
    socket.onopen?.({});

    socket.onclose?.({ code, reason: '' });

    expect(await sut.ended).toEqual({ kind, stable: false });
  });

  it('counts a socket open for the stable period as stable', async () => {
    const socket = fakeSocket();
    const sut = new SocketSession(socket, timings({ stableAfterMs: 0 }), hooks());
    socket.onopen?.({});

    socket.onclose?.({ code: 1006, reason: '' });

    expect(await sut.ended).toEqual({ kind: 'dropped', stable: true });
  });

  it('ends on the first message it cannot trust, closes the socket, and passes on nothing after', async () => {
    const socket = fakeSocket();
    const spy = hooks();
    const sut = new SocketSession(socket, timings(), spy);
    socket.onopen?.({});

    socket.onmessage?.({ data: 'ok' });
    socket.onmessage?.({ data: 'gap' });
    socket.onmessage?.({ data: 'late' });
    socket.onclose?.({ code: 1000, reason: '' });

    expect(await sut.ended).toEqual({ kind: 'gap', stable: false });
    expect(spy.received.mock.calls).toEqual([['ok'], ['gap']]);
    expect(socket.close).toHaveBeenCalledWith(1000, 'catching up');
    await sut.closed;
  });

  it('stops at once, before the socket has closed', async () => {
    const socket = fakeSocket();
    const spy = hooks();
    const sut = new SocketSession(socket, timings(), spy);

    sut.stop('client closed');
    socket.onopen?.({});

    expect(await sut.ended).toEqual({ kind: 'stopped' });
    expect(socket.close).toHaveBeenCalledWith(1000, 'client closed');
    expect(spy.opened).not.toHaveBeenCalled();
  });

  describe('silence', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });

    it('ends an open socket that heard nothing for idleTimeoutMs as dropped, and cuts it at once', async () => {
      const socket = new FakeWsSocket();
      const spy = hooks();
      const sut = new SocketSession(socket, timings({ idleTimeoutMs: 1_000 }), spy);
      const ended = track(sut.ended);
      socket.onopen?.({});

      await vi.advanceTimersByTimeAsync(999);
      const early = ended.settled;
      await vi.advanceTimersByTimeAsync(1);

      expect(early).toBe(false);
      expect(await sut.ended).toEqual({ kind: 'dropped', stable: false });
      expect(socket.terminate).toHaveBeenCalledOnce();
      expect(socket.close).not.toHaveBeenCalled();
      expect(spy.failed).not.toHaveBeenCalled();
      await sut.closed;
      expect(vi.getTimerCount()).toBe(0);
    });

    it.each([
      ['pings, on a socket that reports them', () => new FakeWsSocket(), 'ping'],
      ['messages, on a browser socket', fakeSocket, 'message'],
    ] as const)('takes %s for signs of life', async (_name, make, sign) => {
      const socket = make();
      const sut = new SocketSession(socket, timings({ idleTimeoutMs: 1_000 }), hooks());
      const ended = track(sut.ended);
      socket.onopen?.({});

      for (let i = 0; i < 5; i++) {
        await vi.advanceTimersByTimeAsync(900);
        if (sign === 'ping') {
          (socket as FakeWsSocket).emit('ping', new Uint8Array());
        } else {
          socket.onmessage?.({ data: 'ok' });
        }
      }
      const alive = !ended.settled;
      await vi.advanceTimersByTimeAsync(1_000);

      expect(alive).toBe(true);
      expect(await sut.ended).toEqual({ kind: 'dropped', stable: false });
    });

    it('stops listening for pings once it has ended', async () => {
      const socket = new FakeWsSocket();
      const sut = new SocketSession(socket, timings({ idleTimeoutMs: 1_000 }), hooks());
      const during = socket.listenerCount('ping');

      sut.stop('client closed');
      socket.onclose?.({ code: 1000, reason: '' });

      expect(during).toBe(1);
      expect(socket.listenerCount('ping')).toBe(0);
    });

    it('gives up on a socket that has not opened within idleTimeoutMs, as refused', async () => {
      const socket = new FakeWsSocket();
      const spy = hooks();
      const sut = new SocketSession(socket, timings({ idleTimeoutMs: 1_000 }), spy);

      await vi.advanceTimersByTimeAsync(1_000);

      expect(await sut.ended).toEqual({ kind: 'refused' });
      expect(spy.failed).toHaveBeenCalledWith(
        expect.objectContaining({ kind: 'network', message: expect.stringMatching(/1000 ms/) }),
      );
      expect(socket.terminate).toHaveBeenCalledOnce();
    });

    it('lets a browser socket that went silent close in the background', async () => {
      const socket = fakeSocket();
      const sut = new SocketSession(socket, timings({ idleTimeoutMs: 1_000 }), hooks());
      socket.onopen?.({});

      await vi.advanceTimersByTimeAsync(1_000);
      const closed = track(sut.closed);
      await vi.runOnlyPendingTimersAsync();

      expect(await sut.ended).toEqual({ kind: 'dropped', stable: false });
      expect(socket.close).toHaveBeenCalledWith(1000, 'nothing heard for 1000 ms');
      expect(closed.settled).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('never times out with idleTimeoutMs 0', async () => {
      const socket = new FakeWsSocket();
      const sut = new SocketSession(socket, timings({ idleTimeoutMs: 0 }), hooks());
      const ended = track(sut.ended);
      socket.onopen?.({});

      await vi.advanceTimersByTimeAsync(24 * 3_600_000);

      expect(ended.settled).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  describe('closing', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });

    it('cuts a ws socket whose peer does not answer the close within the grace', async () => {
      const socket = new FakeWsSocket();
      const sut = new SocketSession(socket, timings(), hooks());
      socket.onopen?.({});

      sut.stop('client closed');
      await vi.advanceTimersByTimeAsync(CLOSE_GRACE_MS - 1);
      const early = socket.terminate.mock.calls.length;
      await vi.advanceTimersByTimeAsync(1);

      expect(socket.close).toHaveBeenCalledWith(1000, 'client closed');
      expect(early).toBe(0);
      expect(socket.terminate).toHaveBeenCalledOnce();
      await sut.closed;
      expect(vi.getTimerCount()).toBe(0);
    });

    it('stops waiting for a browser socket whose peer does not answer the close', async () => {
      const socket = fakeSocket();
      const sut = new SocketSession(socket, timings(), hooks());
      const closed = track(sut.closed);
      socket.onopen?.({});

      sut.stop('client closed');
      await vi.advanceTimersByTimeAsync(CLOSE_GRACE_MS);

      expect(closed.settled).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('leaves no timer once the peer has answered the close', async () => {
      const socket = new FakeWsSocket();
      const sut = new SocketSession(socket, timings({ idleTimeoutMs: 1_000 }), hooks());
      socket.onopen?.({});

      sut.stop('client closed');
      socket.onclose?.({ code: 1000, reason: 'client closed' });
      await sut.closed;

      expect(vi.getTimerCount()).toBe(0);
      expect(socket.terminate).not.toHaveBeenCalled();
    });
  });
});
