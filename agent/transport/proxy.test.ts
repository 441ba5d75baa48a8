// Choosing the proxy of a WebSocket broker URL from HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
import { describe, expect, it } from 'vitest';
import { bypassed, proxyFor } from './proxy.ts';

describe('the proxy of a broker URL', () => {
  const env = { HTTPS_PROXY: 'http://proxy:3128', http_proxy: 'http://plain:3128' };

  it('uses HTTPS_PROXY for wss://, HTTP_PROXY for ws://, and none for TCP', () => {
    expect(proxyFor('wss://cp.example.com/mqtt', env)).toBe('http://proxy:3128');
    expect(proxyFor('ws://cp.example.com/mqtt', env)).toBe('http://plain:3128');
    expect(proxyFor('mqtts://cp.example.com:8883', env)).toBeUndefined();
    expect(proxyFor('wss://cp.example.com/mqtt', {})).toBeUndefined();
  });

  it('goes direct to hosts NO_PROXY lists, their subdomains, and only on a listed port', () => {
    const withNoProxy = { ...env, no_proxy: '.internal, cp.example.com:8443' };
    expect(proxyFor('wss://a.b.internal/mqtt', withNoProxy)).toBeUndefined();
    expect(proxyFor('wss://cp.example.com:8443/mqtt', withNoProxy)).toBeUndefined();
    expect(proxyFor('wss://cp.example.com/mqtt', withNoProxy)).toBe('http://proxy:3128');
    expect(proxyFor('wss://notinternal/mqtt', withNoProxy)).toBe('http://proxy:3128');
  });

  it('reads * as every host', () => {
    expect(bypassed('anything', '443', '*')).toBe(true);
    expect(bypassed('127.0.0.1', '80', '')).toBe(false);
  });
});
