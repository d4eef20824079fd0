import { Get, Header, HttpStatus } from '@nestjs/common';

import { ErrorCode } from '../common/error-codes.js';
import { FerroController } from '../common/ferro-controller.decorator.js';
import { FerroError } from '../common/ferro.error.js';
import { StorageHealthMonitor } from './storage-health.monitor.js';
import type { StorageStatus } from './storage-health.monitor.js';

export interface LivenessBody {
  status: 'ok';
}

export interface ReadinessBody {
  status: 'ready';
  storage: StorageStatus;
}

/**
 * Probes for orchestrators. Deliberately not guarded: a kubelet or load
 * balancer has no credentials, and neither answer reveals anything private.
 */
@FerroController('')
export class HealthController {
  constructor(private readonly monitor: StorageHealthMonitor) {}

  /**
   * Liveness: the process serves HTTP. Storage is left out on purpose, so
   * that a failing disk makes the instance unready, not restarted.
   */
  @Get('healthz')
  @Header('Cache-Control', 'no-store')
  liveness(): LivenessBody {
    return { status: 'ok' };
  }

  /** Readiness: the storage backend answered its last probe. */
  @Get('readyz')
  @Header('Cache-Control', 'no-store')
  readiness(): ReadinessBody {
    const storage = this.monitor.status;
    if (!storage.healthy) {
      throw new FerroError(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.StorageUnavailable,
        'Storage backend is unhealthy',
        { storage },
      );
    }

    return { status: 'ready', storage };
  }
}
