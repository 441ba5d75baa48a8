// The secrets of API access: API tokens and session secrets (random, stored as SHA-256 hashes) and
// passwords (scrypt from node:crypto, stored with their parameters and salt).
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { RoostError } from '../../../protocol/index.ts';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** viewer < operator < admin: each role may do everything the roles before it may. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** A new API token: recognisable prefix, 256 random bits. */
export function newApiToken(): string {
  return `roost_${randomBytes(32).toString('base64url')}`;
}

/** A new session secret for the UI's cookie. */
export function newSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens and session secrets carry 256 random bits, so a fast hash is enough to keep them unreadable. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

// scrypt's cost: 2^15 with r=8 takes about 32 MiB and some tens of milliseconds; OWASP's floor is 2^17 * 8 bytes * r.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLength: 32 } as const;
const SCRYPT_MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, keyLength, { N, r, p, maxmem: SCRYPT_MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;

export function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new RoostError('ROOST_BAD_REQUEST', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new RoostError('ROOST_BAD_REQUEST', `password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  return password;
}

/** `scrypt$N$r$p$salt$key`, salt and key in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/** A stored hash to check against when the user does not exist, so both cases take the same time. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(newSessionSecret());
  return decoy;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64url');
  const got = await derive(
    password.slice(0, MAX_PASSWORD_LENGTH),
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
    want.length,
  );
  return timingSafeEqual(got, want);
}

/** `30d`, `12h`, `90m` or `45s` from now, or an ISO 8601 date; null for none. */
export function expiryOf(raw: unknown, now: Date): Date | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string')
    throw new RoostError('ROOST_BAD_REQUEST', 'expiresAt must be an ISO 8601 date or a duration like 30d');
  const duration = /^(\d+)([smhd])$/.exec(raw.trim());
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const at = duration
    ? new Date(now.getTime() + Number(duration[1]) * unit[duration[2] as keyof typeof unit])
    : new Date(raw);
  if (Number.isNaN(at.getTime()))
    throw new RoostError(
      'ROOST_BAD_REQUEST',
      `expiresAt '${raw}' is neither an ISO 8601 date nor a duration like 30d, 12h or 90m`,
    );
  if (at.getTime() <= now.getTime())
    throw new RoostError('ROOST_BAD_REQUEST', `expiresAt '${raw}' is not in the future`);
  return at;
}
