import { Transform } from 'class-transformer';
import type { TransformFnParams } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';

/**
 * Plain decimal digits only: `1e3`, `0x10` or `12abc` are typos in an
 * environment file, not numbers, so they fail validation as NaN.
 */
function strictInteger({ value }: TransformFnParams): number {
  return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
}

/**
 * The environment of the standalone server, validated once at start. Only
 * `main.ts` and this folder read `process.env`; everything else receives
 * typed options.
 *
 * Only the first failed rule of a variable is reported, and decorators
 * apply bottom-up, so the type check sits nearest each property: `abc` is
 * "not an integer", not "out of range".
 */
export class FerroEnv {
  @IsOptional()
  @Transform(strictInteger)
  @Max(65_535)
  @Min(1)
  @IsInt()
  FERRO_PORT?: number;

  @IsOptional()
  @Transform(strictInteger)
  @Max(65_535)
  @Min(1)
  @IsInt()
  PORT?: number;

  @IsOptional()
  @IsString()
  FERRO_DATA_DIR?: string;

  @IsOptional()
  @IsIn(['local', 'memory'])
  FERRO_STORAGE?: 'local' | 'memory';

  @IsOptional()
  @IsString()
  @MinLength(1)
  FERRO_ADMIN_USER?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  FERRO_ADMIN_PASSWORD?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  FERRO_OIDC_ISSUER?: string;

  @IsOptional()
  @IsString()
  FERRO_OIDC_CLIENT_ID?: string;

  @IsOptional()
  @IsString()
  FERRO_OIDC_CLIENT_SECRET?: string;

  @IsOptional()
  @IsString()
  FERRO_OIDC_AUDIENCE?: string;

  @IsOptional()
  @IsString()
  @MinLength(32)
  FERRO_SESSION_SECRET?: string;

  @IsOptional()
  @Transform(strictInteger)
  @Max(1_000_000)
  @Min(1)
  @IsInt()
  FERRO_WS_MAX_CONNECTIONS?: number;

  @IsOptional()
  @Transform(strictInteger)
  @Max(1_000_000)
  @Min(1)
  @IsInt()
  FERRO_WS_BUFFER?: number;

  @IsOptional()
  @Transform(strictInteger)
  @Max(86_400_000)
  @Min(10)
  @IsInt()
  FERRO_WS_HEARTBEAT_MS?: number;

  @IsOptional()
  @IsString()
  FERRO_ALLOWED_ORIGINS?: string;

  @IsOptional()
  @Transform(strictInteger)
  @Max(86_400_000)
  @Min(10)
  @IsInt()
  FERRO_HEALTH_INTERVAL_MS?: number;

  @IsOptional()
  @Transform(strictInteger)
  @Max(100_000_000)
  @Min(1)
  @IsInt()
  FERRO_SYNC_MAX_OPS?: number;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  FERRO_PUBLIC_URL?: string;
}
