// Where an agent finds the control plane's HTTP API for files, and how it is configured.
import { describe, expect, it } from 'vitest';
import { resolveAgentConfig } from '../../config.ts';
import { filesBaseUrl, NO_FILES } from './client.ts';

describe('the agent file client', () => {
  it('derives the HTTP URL from a WebSocket broker URL, and needs --server for MQTT over TCP', () => {
    expect(filesBaseUrl('ws://cp.example:8080/mqtt')).toBe('http://cp.example:8080');
    expect(filesBaseUrl('wss://cp.example/mqtt')).toBe('https://cp.example');
    expect(filesBaseUrl('mqtt://cp.example:1883')).toBeUndefined();
    expect(filesBaseUrl('mqtt://cp.example:1883', 'http://cp.example:8080/')).toBe('http://cp.example:8080');
  });

  it('takes --server or ROOST_SERVER', () => {
    const env = { ROOST_AGENT_SECRET: 's', ROOST_URL: 'mqtt://cp:1883' };
    expect(resolveAgentConfig(['--server', 'http://cp:8080'], env).serverUrl).toBe('http://cp:8080');
    expect(resolveAgentConfig([], { ...env, ROOST_SERVER: 'http://cp:9090' }).serverUrl).toBe(
      'http://cp:9090',
    );
    expect(resolveAgentConfig([], env).serverUrl).toBeUndefined();
  });

  it('says how to fix a missing URL when a task needs a file', async () => {
    await expect(NO_FILES.download('kestra:///a/b', '/tmp/x')).rejects.toThrow(
      'start it with --server URL (or ROOST_SERVER)',
    );
  });
});
