// Broker URLs an agent accepts: mqtt://, mqtts://, ws:// and wss:// (WebSocket at /mqtt by default).
import { RoostError } from '../../protocol/errors.ts';

export const BROKER_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'] as const;

/** Validates a broker URL and gives WebSocket URLs without a path the path `/mqtt`. */
export function brokerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RoostError(
      'ROOST_CONFIG',
      `--url: "${raw}" is not a URL (expected mqtt://, mqtts://, ws:// or wss://)`,
    );
  }
  if (!(BROKER_PROTOCOLS as readonly string[]).includes(url.protocol)) {
    throw new RoostError(
      'ROOST_CONFIG',
      `--url: protocol "${url.protocol}" is not supported (expected mqtt://, mqtts://, ws:// or wss://)`,
    );
  }
  if ((url.protocol === 'ws:' || url.protocol === 'wss:') && (url.pathname === '' || url.pathname === '/')) {
    url.pathname = '/mqtt';
  }
  return url.toString();
}
