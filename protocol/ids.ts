// Time-ordered identifiers (UUIDv7, RFC 9562) so that primary-key indexes stay hot.
import { randomBytes, randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

// random bytes drawn 4 KiB at a time: one call per 256 ids instead of one per id (an executor creates
// a ForEach's 1,000 task runs and jobs in one decision)
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function random16(): Buffer {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolAt, poolAt + 16));
  poolAt += 16;
  return bytes;
}

/** A UUIDv7 string; ids made in the same millisecond by this process still sort in creation order. */
export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = 0;
  }
  const bytes = random16();
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A short random secret, URL-safe, for tokens and shared secrets. */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
