import type { Mock } from 'vitest';

import type { WebSocketLike } from './ferro-client.options.js';
import { SocketSession } from './socket-session.js';
import type { SessionHooks } from './socket-session.js';

type FakeSocket = WebSocketLike & { close: Mock<WebSocketLike['close']> };

function fakeSocket(): FakeSocket {
  return { onopen: null, onmessage: null, onerror: null, onclose: null, close: vi.fn() };
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

describe('SocketSession', () => {
  it('ends as refused, with what ws said, when the socket never opened', async () => {
    const socket = fakeSocket();
    const spy = hooks();
    const sut = new SocketSession(socket, 1_000, spy);

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
    const sut = new SocketSession(socket, 60_000, hooks());
    socket.onopen?.({});

    socket.onclose?.({ code, reason: '' });

    expect(await sut.ended).toEqual({ kind, stable: false });
  });

  it('counts a socket open for the stable period as stable', async () => {
    const socket = fakeSocket();
    const sut = new SocketSession(socket, 0, hooks());
    socket.onopen?.({});

    socket.onclose?.({ code: 1006, reason: '' });

    expect(await sut.ended).toEqual({ kind: 'dropped', stable: true });
  });

  it('ends on the first message it cannot trust, closes the socket, and passes on nothing after', async () => {
    const socket = fakeSocket();
    const spy = hooks();
    const sut = new SocketSession(socket, 60_000, spy);
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
    const sut = new SocketSession(socket, 60_000, spy);

    sut.stop('client closed');
    socket.onopen?.({});

    expect(await sut.ended).toEqual({ kind: 'stopped' });
    expect(socket.close).toHaveBeenCalledWith(1000, 'client closed');
    expect(spy.opened).not.toHaveBeenCalled();
  });
});
