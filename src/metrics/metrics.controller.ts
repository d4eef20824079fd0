import { Get, Header, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';

import { FerroAuthGuard } from '../auth/auth.guard.js';
import { FerroController } from '../common/ferro-controller.decorator.js';
import { FerroMetrics } from './ferro-metrics.js';

/**
 * Prometheus metrics. Guarded like `/api`: connection counts and refusal
 * rates are operational data an outsider has no use for, and Prometheus
 * can send Basic or Bearer credentials when scraping.
 */
@FerroController('metrics')
@UseGuards(FerroAuthGuard)
export class MetricsController {
  constructor(private readonly metrics: FerroMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    const body = await this.metrics.registry.metrics();
    res.type(this.metrics.registry.contentType).send(body);
  }
}
