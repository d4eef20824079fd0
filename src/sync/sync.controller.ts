import type { ServerResponse } from 'node:http';

import { Get, Header, Headers, Inject, Optional, Query, Res, UseGuards } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';

import { FerroAuthGuard } from '../auth/auth.guard.js';
import { FerroController } from '../common/ferro-controller.decorator.js';
import {
  DEFAULT_SYNC_STREAM_OPTIONS,
  SYNC_STREAM_OPTIONS,
  SyncEventStream,
} from './sync-event.stream.js';
import type { SyncStreamOptions } from './sync-event.stream.js';
import { parseCursor, parseEpoch, parseLimit } from './sync.params.js';
import { SyncService } from './sync.service.js';
import type { SyncDelta } from './sync.service.js';

/** The catch-up API: a paged delta and a live stream of the same ops. */
@FerroController('api/sync')
@UseGuards(FerroAuthGuard)
export class SyncController implements OnModuleDestroy {
  private readonly streams = new Set<SyncEventStream>();
  private readonly streamOptions: SyncStreamOptions;

  constructor(
    private readonly sync: SyncService,
    @Optional() @Inject(SYNC_STREAM_OPTIONS) options?: Partial<SyncStreamOptions>,
  ) {
    this.streamOptions = streamOptionsWithDefaults(options);
  }

  /** Streams open right now. */
  get openStreams(): number {
    return this.streams.size;
  }

  @Get('delta')
  @Header('Cache-Control', 'no-store')
  delta(
    @Query('since') since: unknown,
    @Query('limit') limit: unknown,
    @Query('epoch') epoch: unknown,
  ): SyncDelta {
    return this.sync.delta(parseCursor(since), parseLimit(limit), parseEpoch(epoch));
  }

  /**
   * Server-Sent Events of every op after the cursor, then live ones. The
   * cursor is `Last-Event-ID` when present, since a reconnecting browser
   * sends it with the URL of the first connection, whose `since` is stale.
   * A bad cursor is answered with JSON before any stream byte is written.
   */
  @Get('events')
  events(
    @Res() res: ServerResponse,
    @Query('since') since: unknown,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('epoch') epoch: unknown,
  ): void {
    const given =
      lastEventId === undefined ? parseCursor(since) : parseCursor(lastEventId, 'Last-Event-ID');
    // Without a cursor a stream starts live, as a fresh EventSource expects.
    const cursor = given ?? this.sync.currentClock;
    this.sync.validateCursor(cursor, parseEpoch(epoch));

    const stream = new SyncEventStream(res, this.streamOptions, () => this.streams.delete(stream));
    this.streams.add(stream);
    stream.start(this.sync, cursor);
  }

  /** Open streams would otherwise keep the HTTP server from closing. */
  onModuleDestroy(): void {
    for (const stream of this.streams) {
      stream.close();
    }
  }
}

function streamOptionsWithDefaults(options: Partial<SyncStreamOptions> = {}): SyncStreamOptions {
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  const merged: SyncStreamOptions = {
    ...DEFAULT_SYNC_STREAM_OPTIONS,
    ...Object.fromEntries(given),
  };
  for (const [name, value] of Object.entries(merged)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`sync stream option ${name} must be a positive integer, got ${value}`);
    }
  }
  return merged;
}
