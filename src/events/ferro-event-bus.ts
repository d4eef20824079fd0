import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';

import type { FerroEventMap } from './ferro-events.js';

/**
 * A typed face on the shared EventEmitter2: every emit in this module goes
 * through here, so a payload that does not match its event is a compile
 * error rather than a malformed frame on the wire.
 */
@Injectable()
export class FerroEventBus {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends keyof FerroEventMap>(event: K, payload: FerroEventMap[K]): void {
    this.emitter.emit(event, payload);
  }
}
