import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

import { FerroEventBus } from '../events/ferro-event-bus.js';
import { FerroEvent } from '../events/ferro-events.js';
import { FERRO_OPTIONS } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import { StorageBackend } from '../files/storage-backend.js';

/** A probe never gets less than this, however short the interval. */
const MIN_PROBE_TIMEOUT_MS = 5000;

/** What readiness reports about the storage backend. */
export interface StorageStatus {
  backend: string;
  healthy: boolean;
}

/**
 * Probes the storage backend every `healthIntervalMs` and emits
 * `storage.health` when, and only when, the answer changes.
 *
 * A probe that hangs counts as unhealthy once it times out, but no new
 * probe starts until it settles: a backend stuck on a dead mount would
 * otherwise collect one more stuck probe per interval.
 */
@Injectable()
export class StorageHealthMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StorageHealthMonitor.name);
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  /** Undefined until the first probe has answered. */
  private state?: boolean;
  private probing = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly backend: StorageBackend,
    private readonly bus: FerroEventBus,
    @Inject(FERRO_OPTIONS) options: FerroRealtimeOptions,
  ) {
    this.intervalMs = options.healthIntervalMs;
    this.timeoutMs = Math.max(options.healthIntervalMs, MIN_PROBE_TIMEOUT_MS);
  }

  /** False until a probe has succeeded. */
  get healthy(): boolean {
    return this.state === true;
  }

  get status(): StorageStatus {
    return { backend: this.backend.kind, healthy: this.healthy };
  }

  /**
   * Bootstrap rather than module init: the backend prepares its medium in
   * an init hook of its own, and every init hook has run by now. Awaiting
   * the first probe means readiness is known before the server listens.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs).unref();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Probes once and records the outcome; does nothing while a probe is running. */
  async check(): Promise<void> {
    if (this.probing || this.stopped) {
      return;
    }

    this.probing = true;
    const probe = this.startProbe();
    const done = (): void => {
      this.probing = false;
    };
    probe.then(done, done);

    this.record(await this.failureOf(probe));
  }

  /** A backend that throws synchronously is treated like one that rejects. */
  private startProbe(): Promise<void> {
    return new Promise<void>((resolve) => resolve(this.backend.probe()));
  }

  /** Why the probe failed, or undefined when it succeeded in time. */
  private async failureOf(probe: Promise<void>): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      const cause = `probe timed out after ${this.timeoutMs} ms`;
      timer = setTimeout(() => resolve(cause), this.timeoutMs).unref();
    });
    const answer = probe.then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );

    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private record(failure: string | undefined): void {
    const healthy = failure === undefined;
    const first = this.state === undefined;
    if (this.stopped || this.state === healthy) {
      return;
    }

    this.state = healthy;
    this.logChange(failure, first);
    // The first answer only sets the state; clients hear about changes.
    if (!first) {
      this.bus.emit(FerroEvent.StorageHealth, { healthy, backend: this.backend.kind });
    }
  }

  private logChange(failure: string | undefined, first: boolean): void {
    const kind = this.backend.kind;
    if (failure !== undefined) {
      this.logger.warn(`storage backend ${kind} is unhealthy: ${failure}`);
    } else if (!first) {
      this.logger.log(`storage backend ${kind} recovered`);
    }
  }
}
