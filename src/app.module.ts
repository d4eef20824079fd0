import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';

import { loadConfig } from './config/load-config.js';
import type { ServerConfig } from './config/load-config.js';
import { FerroRealtimeModule } from './ferro-realtime.module.js';

/**
 * The standalone server: the module, configured from the environment and
 * from a `.env` file in the working directory, when there is one.
 */
@Module({})
export class AppModule {
  /**
   * Reads and validates the environment now, not at import time, so that a
   * bad variable surfaces as a `ConfigError` the caller can report.
   */
  static fromEnvironment(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, cache: true, validate: loadConfig }),
        EventEmitterModule.forRoot(),
        FerroRealtimeModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<ServerConfig, true>) =>
            config.get('ferro', { infer: true }),
        }),
      ],
    };
  }
}
