// Which HTTP proxy a WebSocket connection to the broker goes through, by the usual variables:
// wss:// uses HTTPS_PROXY, ws:// uses HTTP_PROXY (either spelling case), and NO_PROXY lists the hosts
// reached directly. TCP (mqtt://, mqtts://) never goes through a proxy.

type Env = Record<string, string | undefined>;

const pick = (env: Env, name: string): string | undefined =>
  env[name] || env[name.toLowerCase()] || undefined;

/** The proxy URL for a broker URL, or undefined for a direct connection. */
export function proxyFor(brokerUrl: string, env: Env): string | undefined {
  const url = new URL(brokerUrl);
  const proxy =
    url.protocol === 'wss:'
      ? pick(env, 'HTTPS_PROXY')
      : url.protocol === 'ws:'
        ? pick(env, 'HTTP_PROXY')
        : undefined;
  if (!proxy) return undefined;
  const port = url.port || (url.protocol === 'wss:' ? '443' : '80');
  return bypassed(url.hostname, port, pick(env, 'NO_PROXY') ?? '') ? undefined : proxy;
}

/**
 * NO_PROXY as curl reads it: comma-separated entries, `*` for every host, a host name matching itself
 * and its subdomains (a leading dot or `*.` is the same), an optional `:port`.
 */
export function bypassed(hostname: string, port: string, noProxy: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const match = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[|\](?=:|$)/g, ''));
    const name = (match?.[1] ?? '').replace(/^\*?\./, '');
    if (match?.[2] && match[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}
