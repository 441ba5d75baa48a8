// What the one-line installer downloads, all from the control plane (a host that reaches only the
// control plane installs fine): install.sh, the agent bundle and its SHA-256, and Node runtimes (this
// server's own, for its own platform, and any an operator places in the runtimes directory).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RoostError } from '../../../protocol/index.ts';
import type { WebserverDeps } from '../deps.ts';

export interface InstallFiles {
  /** install.sh */
  script: string;
  /** where `npm run build` wrote roost-agent.tar.gz and its .sha256 */
  bundleDir: string;
  /** further Node runtimes, as binaries named node-{os}-{arch} (e.g. node-linux-arm64) */
  runtimesDir: string;
}

/** Installing hosts have no credentials yet: what they download is public (and verified by SHA-256). */
const PUBLIC = { config: { access: 'public' } } as const;

const RUNTIME = /^node-(linux|darwin)-(x64|arm64)$/;
const OWN_RUNTIME = `node-${process.platform}-${process.arch}`;
const hashes = new Map<string, Promise<string>>();

function sha256Of(path: string): Promise<string> {
  let hash = hashes.get(path);
  if (!hash) {
    hash = new Promise((resolve, reject) => {
      const digest = createHash('sha256');
      createReadStream(path)
        .on('data', (chunk) => digest.update(chunk))
        .on('end', () => resolve(digest.digest('hex')))
        .on('error', reject);
    });
    hash.catch(() => hashes.delete(path));
    hashes.set(path, hash);
  }
  return hash;
}

async function sendFile(reply: FastifyReply, path: string, missing: string) {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new RoostError('ROOST_NOT_FOUND', missing);
  return reply
    .type('application/octet-stream')
    .header('content-length', info.size)
    .send(createReadStream(path));
}

/** The control plane's address as the installing host reached it. */
function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function installRoutes(app: FastifyInstance, deps: WebserverDeps) {
  const files = deps.install;
  if (!files) return;
  const bundle = join(files.bundleDir, 'roost-agent.tar.gz');
  const noBundle = 'the agent bundle is not built on this control plane: run `npm run build` there';

  app.get('/install.sh', PUBLIC, async (request, reply) => {
    const script = await readFile(files.script, 'utf8');
    return reply
      .type('text/x-shellscript; charset=utf-8')
      .send(script.replace('@@ROOST_URL@@', origin(request)));
  });

  app.get('/install/agent.tar.gz', PUBLIC, (_request, reply) => sendFile(reply, bundle, noBundle));

  app.get('/install/agent.tar.gz.sha256', PUBLIC, async (_request, reply) => {
    if (!(await stat(bundle).catch(() => undefined))) throw new RoostError('ROOST_NOT_FOUND', noBundle);
    return reply.type('text/plain').send(`${await sha256Of(bundle)}  roost-agent.tar.gz\n`);
  });

  const runtimePath = (name: string) => {
    if (!RUNTIME.test(name))
      throw new RoostError(
        'ROOST_NOT_FOUND',
        `no runtime ${name}: names are node-{linux|darwin}-{x64|arm64}`,
      );
    return name === OWN_RUNTIME ? process.execPath : join(files.runtimesDir, name);
  };
  const noRuntime = (name: string) =>
    `this control plane has no Node runtime ${name}: it serves ${OWN_RUNTIME}; place others in ${files.runtimesDir}`;

  app.get<{ Params: { name: string } }>('/install/runtimes/:name', PUBLIC, async (request, reply) => {
    const name = request.params.name;
    if (name.endsWith('.sha256')) {
      const base = name.slice(0, -'.sha256'.length);
      const path = runtimePath(base);
      if (!(await stat(path).catch(() => undefined)))
        throw new RoostError('ROOST_NOT_FOUND', noRuntime(base));
      return reply.type('text/plain').send(`${await sha256Of(path)}  ${base}\n`);
    }
    return sendFile(reply, runtimePath(name), noRuntime(name));
  });
}
