// TLS for transport tests: a throwaway certificate authority made with the openssl CLI, and a TLS
// terminator on 127.0.0.1 that hands each connection in plain text to a port (the broker, the webserver).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer } from 'node:tls';

export interface TestCertificates {
  /** path of the CA certificate (what an agent's --ca-file names) */
  caFile: string;
  ca: string;
  key: string;
  cert: string;
}

/** A CA and a server certificate for 127.0.0.1 and localhost, signed by it, written into `dir`. */
export function makeCertificates(dir: string): TestCertificates {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Roost test CA',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  return {
    caFile: at('ca.pem'),
    ca: readFileSync(at('ca.pem'), 'utf8'),
    key: readFileSync(at('server.key'), 'utf8'),
    cert: readFileSync(at('server.pem'), 'utf8'),
  };
}

export interface TlsTerminator {
  readonly port: number;
  close(): Promise<void>;
}

export async function startTlsTerminator(
  certificates: Pick<TestCertificates, 'key' | 'cert'>,
  targetPort: number,
): Promise<TlsTerminator> {
  const open = new Set<Socket>();
  const server = createServer({ key: certificates.key, cert: certificates.cert }, (secure) => {
    const plain = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [secure, plain]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    secure.on('close', () => plain.destroy());
    plain.on('close', () => secure.destroy());
    secure.pipe(plain).pipe(secure);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the TLS terminator has no port');
  return {
    port: address.port,
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
