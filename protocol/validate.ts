// Boundary validation: bytes from the wire become typed messages or a precise error, never a crash.
import type { Static, TSchema } from '@sinclair/typebox';
import { FormatRegistry } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { Control, Job, MAX_MESSAGE_BYTES, type UpMessage, UpSchemas } from './messages.ts';
import type { UpKind } from './topics.ts';

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)));
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

const cache = new WeakMap<TSchema, TypeCheck<TSchema>>();
function checker<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = cache.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    cache.set(schema, check);
  }
  return check as TypeCheck<T>;
}

/** Parses and validates a JSON payload against a schema, naming the first offending path. */
export function decode<T extends TSchema>(schema: T, payload: Uint8Array | string): Decoded<Static<T>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_MESSAGE_BYTES)
    return { ok: false, error: `payload of ${size} bytes is over ${MAX_MESSAGE_BYTES}` };
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (error) {
    return { ok: false, error: `payload is not JSON: ${(error as Error).message}` };
  }
  const check = checker(schema);
  if (check.Check(value)) return { ok: true, value };
  const first = check.Errors(value).First();
  const where = first?.path || '/';
  return { ok: false, error: `invalid at ${where}: ${first?.message ?? 'does not match the schema'}` };
}

export function decodeUp<K extends keyof typeof UpSchemas>(
  kind: K,
  payload: Uint8Array,
): Decoded<UpMessage[K]> {
  return decode(UpSchemas[kind], payload) as Decoded<UpMessage[K]>;
}

export function isDecodableUp(kind: UpKind): kind is keyof typeof UpSchemas {
  return kind in UpSchemas;
}

export const decodeJob = (payload: Uint8Array) => decode(Job, payload);
export const decodeControl = (payload: Uint8Array) => decode(Control, payload);

export function encode(message: unknown): Buffer {
  return Buffer.from(JSON.stringify(message));
}
