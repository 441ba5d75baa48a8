// `npm run build`: the agent bundle the control plane serves to installers. esbuild bundles the agent
// (only what `roost agent` needs) into one file; the native libSQL binding and its loader, which cannot
// be bundled, are copied beside it. Output: dist/agent/ and dist/roost-agent.tar.gz with its SHA-256.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const out = join(dist, 'agent');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, 'agent/main.ts')],
  outfile: join(out, 'roost-agent.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  external: ['libsql'],
  // bundled CommonJS modules call require(): give the ES module one
  banner: {
    js: "import { createRequire as __roostRequire } from 'node:module'; const require = __roostRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

/** Copies a package (and, recursively, its dependencies) from node_modules into the bundle. */
function copyPackage(name, seen = new Set()) {
  if (seen.has(name)) return;
  seen.add(name);
  const from = join(root, 'node_modules', name);
  if (!existsSync(from)) return; // an optional native package for another platform
  cpSync(from, join(out, 'node_modules', name), { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }))
    copyPackage(dep, seen);
}
copyPackage('libsql');

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
writeFileSync(join(out, 'VERSION'), `${version}\n`);

const tarball = join(dist, 'roost-agent.tar.gz');
execFileSync('tar', ['-czf', tarball, '-C', out, '.']);
const sha256 = createHash('sha256').update(readFileSync(tarball)).digest('hex');
writeFileSync(`${tarball}.sha256`, `${sha256}  roost-agent.tar.gz\n`);

const size = (path) => {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + size(join(path, name)), 0);
};
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
process.stdout.write(
  `agent bundle ${version}: ${tarball} (${mb(size(tarball))} compressed; roost-agent.mjs ${mb(size(join(out, 'roost-agent.mjs')))}, native libSQL ${mb(size(join(out, 'node_modules')))})\nsha256 ${sha256}\n`,
);
