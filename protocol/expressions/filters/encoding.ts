// Encoding filters: base64, URL encoding as Java's URLEncoder does it, and hex digests (md5, sha1, sha256, sha512).
import { createHash } from 'node:crypto';
import type { FilterDef } from '../callables.ts';
import { FailureKind, fail } from '../errors.ts';
import { toText } from '../values.ts';

function text(apply: (input: string) => unknown): FilterDef {
  return {
    params: [],
    apply: (input) => (input === null || input === undefined ? null : apply(toText(input))),
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64decode(input: string): string {
  if (!BASE64.test(input))
    fail(FailureKind.TYPE, `The filter 'base64decode' got a string that is not valid base64`);
  return Buffer.from(input, 'base64').toString('utf8');
}

/** application/x-www-form-urlencoded, as java.net.URLEncoder: spaces become '+', only [A-Za-z0-9.*_-] stay. */
function urlencode(input: string): string {
  return encodeURIComponent(input)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function urldecode(input: string): string {
  try {
    return decodeURIComponent(input.replace(/\+/g, ' '));
  } catch {
    return fail(FailureKind.TYPE, `The filter 'urldecode' got a malformed URL-encoded string`);
  }
}

const digest = (algorithm: string): FilterDef =>
  text((s) => createHash(algorithm).update(s, 'utf8').digest('hex'));

export const ENCODING_FILTERS: Record<string, FilterDef> = {
  base64encode: text((s) => Buffer.from(s, 'utf8').toString('base64')),
  base64decode: text(base64decode),
  urlencode: text(urlencode),
  urldecode: text(urldecode),
  md5: digest('md5'),
  sha1: digest('sha1'),
  sha256: digest('sha256'),
  sha512: digest('sha512'),
};
