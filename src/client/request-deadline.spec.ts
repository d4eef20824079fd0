import { withDeadline } from './request-deadline.js';

const TIMED_OUT = new Error('timed out');

/** A request that answers only when told, and notes what its signal says. */
function pending(): {
  request: (signal: AbortSignal) => Promise<string>;
  answer: (value: string) => void;
  seen: () => AbortSignal | undefined;
} {
  let resolve!: (value: string) => void;
  let given: AbortSignal | undefined;
  return {
    request: (signal) => {
      given = signal;
      return new Promise((done) => (resolve = done));
    },
    answer: (value) => resolve(value),
    seen: () => given,
  };
}

/** A parent signal whose listeners the test can count. */
function countedSignal(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController();
  let count = 0;
  const { signal } = controller;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  vi.spyOn(signal, 'addEventListener').mockImplementation((...args) => {
    count += 1;
    add(...args);
  });
  vi.spyOn(signal, 'removeEventListener').mockImplementation((...args) => {
    count -= 1;
    remove(...args);
  });
  return { controller, listeners: () => count };
}

describe('withDeadline', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('settles with the answer in time, and leaves no timer or listener behind', async () => {
    const { controller, listeners } = countedSignal();
    const step = pending();
    const sut = withDeadline(controller.signal, 5_000, step.request, () => TIMED_OUT);

    await vi.advanceTimersByTimeAsync(4_999);
    step.answer('page');

    await expect(sut).resolves.toBe('page');
    expect(step.seen()?.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(listeners()).toBe(0);
  });

  it('aborts the request and rejects with the timeout error after ms', async () => {
    const { controller, listeners } = countedSignal();
    const step = pending();
    const sut = withDeadline(controller.signal, 5_000, step.request, () => TIMED_OUT);
    const settled = expect(sut).rejects.toBe(TIMED_OUT);

    await vi.advanceTimersByTimeAsync(5_000);

    await settled;
    expect(step.seen()?.reason).toBe(TIMED_OUT);
    expect(listeners()).toBe(0);
  });

  it('settles at once on an abort, though the request ignores its signal', async () => {
    const { controller, listeners } = countedSignal();
    const step = pending();
    const sut = withDeadline(controller.signal, 5_000, step.request, () => TIMED_OUT);

    controller.abort(new Error('closed'));

    await expect(sut).rejects.toThrow('closed');
    expect(step.seen()?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(listeners()).toBe(0);
  });

  it('does not start a request when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('closed'));
    const request = vi.fn(async () => 'page');

    const sut = withDeadline(controller.signal, 5_000, request, () => TIMED_OUT);

    await expect(sut).rejects.toThrow('closed');
    expect(request).not.toHaveBeenCalled();
  });

  it('sets no timer with ms 0', async () => {
    const step = pending();
    const sut = withDeadline(new AbortController().signal, 0, step.request, () => TIMED_OUT);
    const timers = vi.getTimerCount();
    step.answer('page');

    await expect(sut).resolves.toBe('page');
    expect(timers).toBe(0);
  });

  it('passes on the error of a request that fails', async () => {
    const failed = new Error('ECONNREFUSED');
    const request = (): Promise<string> => Promise.reject(failed);

    const sut = withDeadline(new AbortController().signal, 5_000, request, () => TIMED_OUT);

    await expect(sut).rejects.toBe(failed);
    expect(vi.getTimerCount()).toBe(0);
  });
});
