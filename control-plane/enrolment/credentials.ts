// Secrets of enrolment: registration tokens (random, kept as SHA-256) and per-agent credentials (kept
// as scrypt hashes from node:crypto). Nothing here stores or logs a secret in clear.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { newId, newSecret } from '../../protocol/index.ts';

const TOKEN_PREFIX = 'rrt';

/** A new registration token: its id (kept in clear) and the string handed to the operator once. */
export function newRegistrationToken(): { id: string; token: string; secretHash: string } {
  const id = newId();
  const secret = newSecret(32);
  return { id, token: `${TOKEN_PREFIX}.${id}.${secret}`, secretHash: sha256(secret) };
}

/** Splits `rrt.ID.SECRET`; undefined when the text is not shaped like a registration token. */
export function parseRegistrationToken(token: string): { id: string; secret: string } | undefined {
  const [prefix, id, secret, ...rest] = token.trim().split('.');
  if (prefix !== TOKEN_PREFIX || !id || !secret || rest.length) return undefined;
  return { id, secret };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Whether `secret` hashes to `expected` (SHA-256, compared in constant time). */
export function tokenSecretMatches(secret: string, expected: string): boolean {
  const given = Buffer.from(sha256(secret));
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

// scrypt cost: N=2^14, r=8, p=1 (node's defaults; about 16 MiB and tens of ms per check)
const N = 16_384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function derive(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_BYTES, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** A new agent credential and the hash the control plane keeps of it. */
export async function newAgentCredential(): Promise<{ credential: string; hash: string }> {
  const credential = newSecret(32);
  return { credential, hash: await hashCredential(credential) };
}

/** `scrypt$N$r$p$salt$key`, salt and key in base64url. */
export async function hashCredential(credential: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(credential, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function credentialMatches(credential: string, hash: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = hash.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64url');
  const given = await derive(credential, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return given.length === want.length && timingSafeEqual(given, want);
}
