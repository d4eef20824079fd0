import type { Server } from 'node:http';

import { Logger } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** How long requests in flight may go on after a stop signal. */
const DRAIN_MS = 5_000;

/** Past this, the process exits whatever is still running. */
const EXIT_DEADLINE_MS = 10_000;

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Stops the standalone server on SIGTERM or SIGINT within a few seconds,
 * however its clients behave. Nest's own shutdown hooks wait for every
 * HTTP connection to end, which a client that keeps reusing a keep-alive
 * connection, or a slow upload, can put off for ever. Here idle
 * connections are closed at once, each response after the signal asks its
 * client to close, requests still running after {@link DRAIN_MS} are cut
 * (a cut upload leaves no file and no op), and the app closes as usual.
 * Then the signal is raised again, so the exit reports it.
 */
export function stopOnSignals(app: INestApplication): void {
  const server = app.getHttpServer() as Server;
  const logger = new Logger('Ferro');
  let draining = false;

  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (draining) {
      res.setHeader('Connection', 'close');
    }
    next();
  });

  const stop = async (signal: (typeof SIGNALS)[number]): Promise<void> => {
    logger.log(`${signal}: stopping`);
    draining = true;
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
    setTimeout(() => {
      logger.error(`still not stopped ${EXIT_DEADLINE_MS} ms after ${signal}; exiting`);
      process.exit(1);
    }, EXIT_DEADLINE_MS).unref();

    await app.close();
    process.kill(process.pid, signal);
  };
  for (const signal of SIGNALS) {
    process.once(signal, () => void stop(signal));
  }
}
