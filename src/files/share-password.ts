import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
) => Promise<Buffer>;

const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** A share password as stored: never the password itself. */
export interface PasswordHash {
  salt: Buffer;
  hash: Buffer;
}

/** Derives a scrypt hash of `password` with a fresh random salt. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  return { salt, hash: await scryptAsync(password, salt, KEY_BYTES) };
}

/**
 * True when `password` matches. Both sides are scrypt outputs of the same
 * length, so `timingSafeEqual` compares them without leaking where they
 * differ or how long the real password is.
 */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const candidate = await scryptAsync(password, stored.salt, KEY_BYTES);
  return timingSafeEqual(candidate, stored.hash);
}
