// `roost server local` with TLS: the banner shows https/wss/mqtts, the API refuses anyone without a
// token (an admin token is set), and its own agent connects over mqtts:// although the certificate
// names a host other than 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, Processes } from '../support/processes.ts';

describe('roost server local with TLS', () => {
  const processes = new Processes();
  afterAll(async () => {
    expect(await processes.stopAll()).toEqual([]);
  });

  it('serves HTTPS and mqtts:// from the configured files, and its own agent connects', async () => {
    const dir = processes.tempDir('local-tls');
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', key, '-out', cert].concat([
        '-subj',
        '/CN=roost.example',
        '-addext',
        'subjectAltName=DNS:roost.example',
      ]),
      { stdio: 'ignore' },
    );
    const [port, mqttPort] = [await freePort(), await freePort()];
    const proc = processes.spawn(
      'local tls',
      ['server', 'local', '--port', String(port), '--mqtt-port', String(mqttPort), '--tls-cert', cert],
      {
        ROOST_DATA_DIR: join(dir, 'data'),
        ROOST_TLS_KEY: key,
        ROOST_ADMIN_TOKEN: 'local-tls-admin-token-0123',
      },
    );
    // the banner's lines may come in more than one chunk: wait for the one after those checked
    await proc.waitFor(/ database: /, 60_000);
    expect(proc.output).toContain(`API:              https://127.0.0.1:${port}`);
    expect(proc.output).toContain(`MQTT over TCP:    mqtts://127.0.0.1:${mqttPort}`);
    expect(proc.output).toContain('authentication:   on');
    await proc.waitFor(/welcomed/);
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(0);
  }, 90_000);

  it('names a certificate file it cannot read', async () => {
    const proc = processes.spawn(
      'local bad tls',
      ['server', 'local', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem'],
      { ROOST_DATA_DIR: processes.tempDir('bad-tls') },
    );
    expect(await proc.exited).toBe(1);
    expect(proc.output).toContain('cannot read the TLS certificate /nonexistent/cert.pem');
  });
});
