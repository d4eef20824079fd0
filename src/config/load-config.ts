import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { ValidationError } from 'class-validator';

import { withDefaults } from '../ferro-realtime.options.js';
import type { FerroRealtimeOptions } from '../ferro-realtime.options.js';
import type { OidcOptions } from '../auth/oidc/oidc.options.js';
import { FerroEnv } from './ferro-env.js';

/** What the standalone server needs from its environment. */
export interface ServerConfig {
  port: number;
  ferro: FerroRealtimeOptions;
}

const DEFAULT_PORT = 8080;

/** A start-up failure caused by the environment; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment and turns it into server options. Empty
 * values count as unset, as `.env` files often leave them.
 *
 * @throws ConfigError naming every variable that is wrong
 */
export function loadConfig(raw: Record<string, string | undefined>): ServerConfig {
  const env = plainToInstance(FerroEnv, withoutEmpty(raw), { excludeExtraneousValues: false });
  const problems = validateSync(env, { stopAtFirstError: true }).map((error) =>
    describe(error, raw[error.property]),
  );
  problems.push(...crossFieldProblems(env));
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }

  return { port: env.FERRO_PORT ?? env.PORT ?? DEFAULT_PORT, ferro: toOptions(env) };
}

function toOptions(env: FerroEnv): FerroRealtimeOptions {
  const simpleAuth =
    env.FERRO_ADMIN_USER && env.FERRO_ADMIN_PASSWORD
      ? { user: env.FERRO_ADMIN_USER, password: env.FERRO_ADMIN_PASSWORD }
      : undefined;

  return withDefaults({
    dataDir: env.FERRO_DATA_DIR,
    storage: env.FERRO_STORAGE,
    simpleAuth,
    oidc: oidcOf(env),
    sessionSecret: env.FERRO_SESSION_SECRET,
    wsMaxConnections: env.FERRO_WS_MAX_CONNECTIONS,
    wsBuffer: env.FERRO_WS_BUFFER,
    wsHeartbeatMs: env.FERRO_WS_HEARTBEAT_MS,
    allowedOrigins: originsOf(env.FERRO_ALLOWED_ORIGINS),
    healthIntervalMs: env.FERRO_HEALTH_INTERVAL_MS,
    syncMaxOps: env.FERRO_SYNC_MAX_OPS,
    publicUrl: env.FERRO_PUBLIC_URL?.replace(/\/+$/, ''),
  });
}

/**
 * The issuer is kept exactly as given, trailing slash and all: tokens are
 * checked against it character for character, as the provider states it.
 */
function oidcOf(env: FerroEnv): OidcOptions | undefined {
  const issuer = env.FERRO_OIDC_ISSUER;
  const audience = env.FERRO_OIDC_AUDIENCE ?? env.FERRO_OIDC_CLIENT_ID;
  if (!issuer || !audience) {
    return undefined;
  }

  return {
    issuer,
    clientId: env.FERRO_OIDC_CLIENT_ID,
    clientSecret: env.FERRO_OIDC_CLIENT_SECRET,
    audience,
  };
}

function crossFieldProblems(env: FerroEnv): string[] {
  const problems: string[] = [];
  if (Boolean(env.FERRO_ADMIN_USER) !== Boolean(env.FERRO_ADMIN_PASSWORD)) {
    problems.push(
      'FERRO_ADMIN_USER and FERRO_ADMIN_PASSWORD: set both to turn simple auth on, or neither',
    );
  }
  if (env.FERRO_OIDC_ISSUER && !env.FERRO_OIDC_AUDIENCE && !env.FERRO_OIDC_CLIENT_ID) {
    // Refusing to start beats accepting tokens meant for any client.
    problems.push(
      'FERRO_OIDC_AUDIENCE: set it, or FERRO_OIDC_CLIENT_ID, when FERRO_OIDC_ISSUER is set',
    );
  }
  if (Boolean(env.FERRO_OIDC_CLIENT_ID) !== Boolean(env.FERRO_OIDC_CLIENT_SECRET)) {
    problems.push(
      'FERRO_OIDC_CLIENT_ID and FERRO_OIDC_CLIENT_SECRET: the browser login needs both, or neither',
    );
  }
  for (const origin of originsOf(env.FERRO_ALLOWED_ORIGINS) ?? []) {
    if (!isOrigin(origin)) {
      problems.push(`FERRO_ALLOWED_ORIGINS: "${origin}" is not an origin like https://host:port`);
    }
  }
  return problems;
}

function originsOf(list: string | undefined): string[] | undefined {
  return list
    ?.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** Variables whose values never appear in a message or a log. */
const SECRETS = new Set([
  'FERRO_ADMIN_PASSWORD',
  'FERRO_OIDC_CLIENT_SECRET',
  'FERRO_SESSION_SECRET',
]);

function describe(error: ValidationError, raw: string | undefined): string {
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  const shown = SECRETS.has(error.property) ? '(hidden)' : JSON.stringify(raw);
  return `${error.property}=${shown}: ${reasons}`;
}

function withoutEmpty(raw: Record<string, string | undefined>): Record<string, string> {
  const entries = Object.entries(raw).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== '',
  );
  return Object.fromEntries(entries);
}
