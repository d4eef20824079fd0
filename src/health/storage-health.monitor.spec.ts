import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';

import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import type { StorageHealthEvent } from '../events/ferro-events.js';
import { withDefaults } from '../ferro-realtime.options.js';
import type { StorageBackend } from '../files/storage-backend.js';
import { StorageHealthMonitor } from './storage-health.monitor.js';

const INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 5000;

type Answer = 'ok' | 'fail' | 'hang' | 'throw';

/** Only `kind` and `probe` exist: the monitor must not touch anything else. */
class FakeBackend {
  readonly kind = 'memory';
  answer: Answer = 'ok';
  probes = 0;
  private release?: () => void;

  probe(): Promise<void> {
    this.probes += 1;
    if (this.answer === 'throw') {
      throw new Error('probe threw synchronously');
    }
    if (this.answer === 'fail') {
      return Promise.reject(new Error('disk is read-only'));
    }
    if (this.answer === 'hang') {
      return new Promise((resolve) => (this.release = resolve));
    }
    return Promise.resolve();
  }

  /** Lets a hanging probe finish at last. */
  settle(): void {
    this.release?.();
  }
}

function setup(intervalMs = INTERVAL_MS) {
  const backend = new FakeBackend();
  const emitter = new EventEmitter2();
  const events: StorageHealthEvent[] = [];
  emitter.on(FerroEvent.StorageHealth, (event: StorageHealthEvent) => events.push(event));
  const sut = new StorageHealthMonitor(
    backend as unknown as StorageBackend,
    new FerroEventBus(emitter),
    withDefaults({ healthIntervalMs: intervalMs }),
  );
  return { sut, backend, events };
}

describe('StorageHealthMonitor', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  let log: ReturnType<typeof vi.spyOn>;

  beforeEach(() => {
    vi.useFakeTimers();
    warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('sets the state from a first probe at bootstrap and announces nothing', async () => {
    const { sut, backend, events } = setup();

    await sut.onApplicationBootstrap();

    expect(backend.probes).toBe(1);
    expect(sut.healthy).toBe(true);
    expect(sut.status).toEqual({ backend: 'memory', healthy: true });
    expect(events).toEqual([]);
    sut.onModuleDestroy();
  });

  it('starts unhealthy, with a warning, when the first probe fails', async () => {
    const { sut, backend, events } = setup();
    backend.answer = 'fail';

    await sut.onApplicationBootstrap();

    expect(sut.healthy).toBe(false);
    expect(events).toEqual([]);
    expect(warn).toHaveBeenCalledWith('storage backend memory is unhealthy: disk is read-only');
    sut.onModuleDestroy();
  });

  it('emits nothing while the answer stays the same', async () => {
    const { sut, backend, events } = setup();
    await sut.onApplicationBootstrap();

    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 5);

    expect(backend.probes).toBe(6);
    expect(events).toEqual([]);
    sut.onModuleDestroy();
  });

  it('emits exactly one event per change and logs each', async () => {
    const { sut, backend, events } = setup();
    await sut.onApplicationBootstrap();

    backend.answer = 'fail';
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    const whileFailing = [...events];
    backend.answer = 'ok';
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 3);

    expect(whileFailing).toEqual([{ healthy: false, backend: 'memory' }]);
    expect(events).toEqual([
      { healthy: false, backend: 'memory' },
      { healthy: true, backend: 'memory' },
    ]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith('storage backend memory recovered');
    sut.onModuleDestroy();
  });

  it('counts a probe that throws synchronously as unhealthy', async () => {
    const { sut, backend, events } = setup();
    await sut.onApplicationBootstrap();

    backend.answer = 'throw';
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);

    expect(sut.healthy).toBe(false);
    expect(events).toEqual([{ healthy: false, backend: 'memory' }]);
    sut.onModuleDestroy();
  });

  it('times a hanging probe out as unhealthy and starts no other until it settles', async () => {
    const { sut, backend, events } = setup();
    await sut.onApplicationBootstrap();
    backend.answer = 'hang';

    await vi.advanceTimersByTimeAsync(INTERVAL_MS + PROBE_TIMEOUT_MS * 3);
    const probesWhileHung = backend.probes;
    backend.answer = 'ok';
    backend.settle();
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);

    expect(probesWhileHung).toBe(2);
    expect(warn).toHaveBeenCalledWith(
      'storage backend memory is unhealthy: probe timed out after 5000 ms',
    );
    expect(events).toEqual([
      { healthy: false, backend: 'memory' },
      { healthy: true, backend: 'memory' },
    ]);
    sut.onModuleDestroy();
  });

  it('does not let a hanging first probe hold bootstrap past the timeout', async () => {
    const { sut, backend } = setup();
    backend.answer = 'hang';

    const bootstrap = sut.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(PROBE_TIMEOUT_MS);
    await bootstrap;

    expect(sut.healthy).toBe(false);
    sut.onModuleDestroy();
  });

  it('skips ticks while a slow probe is still running', async () => {
    const { sut, backend, events } = setup();
    await sut.onApplicationBootstrap();
    backend.answer = 'hang';

    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    backend.answer = 'ok';
    backend.settle();
    await vi.advanceTimersByTimeAsync(0);

    expect(backend.probes).toBe(2);
    expect(events).toEqual([]);
    sut.onModuleDestroy();
  });

  it('uses the interval as the probe timeout when it is longer than 5 s', async () => {
    const { sut, backend } = setup(8000);
    await sut.onApplicationBootstrap();
    backend.answer = 'hang';

    await vi.advanceTimersByTimeAsync(8000 + 7999);
    const beforeTimeout = sut.healthy;
    await vi.advanceTimersByTimeAsync(1);

    expect(beforeTimeout).toBe(true);
    expect(sut.healthy).toBe(false);
    sut.onModuleDestroy();
  });

  it('stops probing and holds no timer after module destroy', async () => {
    const { sut, backend } = setup();
    await sut.onApplicationBootstrap();

    sut.onModuleDestroy();
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 5);

    expect(backend.probes).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
