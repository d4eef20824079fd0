import 'reflect-metadata';

import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { AppModule } from './app.module.js';
import { FerroErrorFilter } from './common/error.filter.js';
import { ConfigError } from './config/load-config.js';
import type { ServerConfig } from './config/load-config.js';
import { configureFerroApp } from './configure-app.js';
import { FerroDatabaseError } from './database/ferro-database.js';
import { stopOnSignals } from './stop-signals.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(await AppModule.fromEnvironment(), {
    bodyParser: false,
    abortOnError: false,
    // Per-connection chatter is logged at debug; a server's default log
    // keeps to lifecycle, refusals and errors.
    logger: ['fatal', 'error', 'warn', 'log'],
  });
  configureFerroApp(app);
  // Standalone, every route is ours, so unknown routes answer in our JSON too.
  app.useGlobalFilters(new FerroErrorFilter());
  stopOnSignals(app);

  const port = app.get(ConfigService<ServerConfig, true>).get('port', { infer: true });
  await app.listen(port);
  new Logger('Ferro').log(
    `listening on http://localhost:${port}, events at ws://localhost:${port}/api/ws`,
  );
}

bootstrap().catch((error: unknown) => {
  // Both name what to fix; a stack would only bury that.
  if (error instanceof ConfigError || error instanceof FerroDatabaseError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
});
