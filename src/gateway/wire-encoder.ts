import { Injectable, Logger } from '@nestjs/common';
import { validateSync } from 'class-validator';

import type { WireEvent } from '../events/wire-events.js';

/**
 * Validates a wire event against its DTO's decorators and serializes it
 * once. The same bytes then go to every connection, so the cost of an
 * event does not grow with the number of clients.
 */
@Injectable()
export class WireEncoder {
  private readonly logger = new Logger(WireEncoder.name);

  /** The frame payload, or undefined (logged) when the event is invalid. */
  encode(event: WireEvent): Buffer | undefined {
    const errors = validateSync(event, { forbidUnknownValues: true });
    if (errors.length > 0) {
      const fields = errors.map((error) => error.property).join(', ');
      this.logger.error(`dropped invalid ${event.type} event (bad: ${fields})`);
      return undefined;
    }

    return Buffer.from(JSON.stringify(event));
  }
}
