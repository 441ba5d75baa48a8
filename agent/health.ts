// The agent's local health endpoint, for service managers and monitoring: GET /health answers 200 while
// the agent runs and is welcomed by the control plane (503 otherwise); GET /status gives the details;
// POST /maintenance?enabled=true|false turns maintenance mode on or off. It listens on 127.0.0.1 only.
import { createServer, type Server } from 'node:http';
import type { AgentStatus } from './status.ts';

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(
  status: () => Promise<AgentStatus>,
  port: number,
  setMaintenance: (enabled: boolean) => void = () => {},
): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (request.method === 'POST' && path === '/maintenance') {
      const enabled = url.searchParams.get('enabled');
      if (enabled !== 'true' && enabled !== 'false') {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end('{"error":"POST /maintenance?enabled=true or ?enabled=false"}');
        return;
      }
      setMaintenance(enabled === 'true');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ maintenance: enabled === 'true' }));
      return;
    }
    if (request.method !== 'GET' || (path !== '/health' && path !== '/status')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    status().then(
      (current) => {
        const healthy = current.state === 'running' && current.connected;
        const body =
          path === '/health'
            ? { status: healthy ? 'UP' : 'DOWN', state: current.state, connected: current.connected }
            : current;
        response.writeHead(path === '/health' && !healthy ? 503 : 200, {
          'content-type': 'application/json',
        });
        response.end(JSON.stringify(body));
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: 'DOWN', error: String(error) }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
