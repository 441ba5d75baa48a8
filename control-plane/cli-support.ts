// What the `roost` API commands share: how they parse their arguments, reach the API and print.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { RoostError } from '../protocol/index.ts';
import { ApiClient } from './client.ts';

export type Out = (line: string) => void;

/** --server and --token (and --output), which every API command takes. */
export const apiOptions = {
  server: { type: 'string' as const },
  token: { type: 'string' as const },
  output: { type: 'string' as const },
};

export function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new RoostError('ROOST_CONFIG', (error as Error).message);
  }
}

/** The API at --server (ROOST_SERVER, default http://localhost:8080), with --token (ROOST_TOKEN). */
export function client(values: { server?: unknown; token?: unknown }): ApiClient {
  const server = (values.server as string | undefined) ?? process.env.ROOST_SERVER ?? 'http://localhost:8080';
  return new ApiClient({ server, token: (values.token as string | undefined) ?? process.env.ROOST_TOKEN });
}

/** `key=value` items as a map; `what` names them in the error. */
export function pairs(items: string[] | undefined, what: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of items ?? []) {
    const at = item.indexOf('=');
    if (at <= 0) throw new RoostError('ROOST_CONFIG', `${what} '${item}' must be written key=value`);
    result[item.slice(0, at)] = item.slice(at + 1);
  }
  return result;
}
