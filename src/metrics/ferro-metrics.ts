import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** Why an upgrade to `/api/ws` did not become a WebSocket. */
export type RefusalReason = 'unauthorized' | 'forbidden' | 'connection_limit' | 'malformed';

const REASON_BY_STATUS: Record<number, RefusalReason> = {
  401: 'unauthorized',
  403: 'forbidden',
  503: 'connection_limit',
};

/**
 * The module's Prometheus metrics, in a registry of its own so that a host
 * application's default registry is never touched; `registry` is public
 * for a host that wants to merge it into its own.
 *
 * Hot paths count in plain numbers and hand whole batches to prom-client,
 * so a broadcast to a thousand clients costs one `inc`, not a thousand.
 */
@Injectable()
export class FerroMetrics {
  readonly registry = new Registry();

  readonly connections = new Gauge({
    name: 'ferro_ws_connections',
    help: 'WebSocket connections open now',
    registers: [this.registry],
  });

  readonly refusedUpgrades = new Counter({
    name: 'ferro_ws_refused_upgrades_total',
    help: 'Upgrade requests answered with an HTTP error instead of a WebSocket',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly eventsBroadcast = new Counter({
    name: 'ferro_events_broadcast_total',
    help: 'Events broadcast to WebSocket clients, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly messagesDelivered = new Counter({
    name: 'ferro_ws_messages_delivered_total',
    help: 'Messages handed to client sockets (one per event per client)',
    registers: [this.registry],
  });

  readonly laggingClosed = new Counter({
    name: 'ferro_ws_lagging_closed_total',
    help: 'Clients closed for falling more than the buffer behind',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ferro_' });
  }

  refused(status: number): void {
    this.refusedUpgrades.inc({ reason: REASON_BY_STATUS[status] ?? 'malformed' });
  }
}
