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
   * Reads and validates the environment now, not at import time, and
   * awaits it here, so that a bad variable rejects this call with a
   * `ConfigError` the caller can report (rather than an unhandled rejection
   * inside Nest's module scan).
   */
  static async fromEnvironment(): Promise<DynamicModule> {
    const config = await ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      validate: loadConfig,
    });
    return {
      module: AppModule,
      imports: [
        config,
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
