import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

import { ConnectionSlots } from './connection-slots.js';

function fakeSocket(): Socket & EventEmitter {
  return Object.assign(new EventEmitter(), { destroyed: false }) as unknown as Socket &
    EventEmitter;
}

describe('ConnectionSlots', () => {
  it('admits exactly the limit and refuses the next', () => {
    const sut = new ConnectionSlots(2);

    const results = [fakeSocket(), fakeSocket(), fakeSocket()].map((s) => sut.tryTake(s));

    expect(results).toEqual([true, true, false]);
    expect(sut.inUse).toBe(2);
  });

  it('gives the slot back when the socket closes, once', () => {
    const sut = new ConnectionSlots(1);
    const first = fakeSocket();
    sut.tryTake(first);

    first.emit('close');
    first.emit('close');

    expect(sut.inUse).toBe(0);
    expect(sut.tryTake(fakeSocket())).toBe(true);
  });

  it('counts a socket once however often it asks', () => {
    const sut = new ConnectionSlots(5);
    const socket = fakeSocket();

    sut.tryTake(socket);
    sut.tryTake(socket);

    expect(sut.inUse).toBe(1);
    expect(socket.listenerCount('close')).toBe(1);
  });

  it('refuses a socket that is already destroyed', () => {
    const sut = new ConnectionSlots(5);
    const socket = Object.assign(fakeSocket(), { destroyed: true });

    expect(sut.tryTake(socket)).toBe(false);
    expect(sut.inUse).toBe(0);
  });
});
