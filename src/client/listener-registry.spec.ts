import { ListenerRegistry } from './listener-registry.js';

interface Events {
  tick: number;
  word: string;
}

describe('ListenerRegistry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls the listeners of an event in the order they were added', () => {
    const sut = new ListenerRegistry<Events>();
    const calls: string[] = [];
    sut.on('tick', (n) => calls.push(`a${n}`));
    sut.on('tick', (n) => calls.push(`b${n}`));
    sut.on('word', (w) => calls.push(w));

    sut.emit('tick', 1);

    expect(calls).toEqual(['a1', 'b1']);
  });

  it('removes a listener with the function on returns, and counts what is left', () => {
    const sut = new ListenerRegistry<Events>();
    const listener = vi.fn();
    const remove = sut.on('tick', listener);
    sut.on('word', vi.fn());

    remove();
    sut.emit('tick', 1);

    expect(listener).not.toHaveBeenCalled();
    expect(sut.count('tick')).toBe(0);
    expect(sut.count()).toBe(1);
  });

  it('does not call a listener that an earlier one removed during the same emit', () => {
    const sut = new ListenerRegistry<Events>();
    const second = vi.fn();
    sut.on('tick', () => sut.off('tick', second));
    sut.on('tick', second);

    sut.emit('tick', 1);

    expect(second).not.toHaveBeenCalled();
  });

  it('goes on past a listener that throws, and rethrows its error from a fresh task', () => {
    vi.useFakeTimers();
    const sut = new ListenerRegistry<Events>();
    const after = vi.fn();
    const boom = new Error('boom');
    sut.on('tick', () => {
      throw boom;
    });
    sut.on('tick', after);

    sut.emit('tick', 1);

    expect(after).toHaveBeenCalledWith(1);
    expect(() => vi.runAllTimers()).toThrow(boom);
  });
});
