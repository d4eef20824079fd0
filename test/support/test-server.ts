import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EventEmitterModule } from '@nestjs/event-emitter';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';

import { configureFerroApp } from '../../src/configure-app.js';
import { FerroRealtimeModule } from '../../src/ferro-realtime.module.js';
import type { FerroRealtimeOptions } from '../../src/ferro-realtime.options.js';

export interface TestServer {
  app: NestExpressApplication;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** `ws://127.0.0.1:<port>/api/ws` */
  wsUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Boots the module the way a host application embeds it, on a free port
 * on loopback, with its data in a fresh temporary folder.
 */
export async function startServer(
  options: Partial<FerroRealtimeOptions> = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferro-e2e-'));
  const moduleRef = await Test.createTestingModule({
    imports: [
      EventEmitterModule.forRoot(),
      FerroRealtimeModule.forRoot({ dataDir, healthIntervalMs: 60_000, ...options }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: false,
  });
  configureFerroApp(app);
  await app.listen(0, '127.0.0.1');

  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/api/ws`,
    dataDir,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
