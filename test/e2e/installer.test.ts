// The one-line installer, run for real with sh against a control plane process on loopback: once with
// Node on the PATH (agent in the foreground), once without (the control plane's own runtime is used),
// then re-run (upgrade in place, registration kept) and uninstalled. Each agent registers and runs a task.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Language, Parser } from 'web-tree-sitter';
import { applyFlow, call, runFlow, waitForEnd } from '../support/api.ts';
import type { TestDatabase } from '../support/database.ts';
import { Processes, RoostProcess, startControlPlane, stopControlPlane } from '../support/processes.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

const flow = (group: string) => `
id: installed-${group}
namespace: e2e.install
tasks:
  - id: hello
    type: io.kestra.plugin.scripts.shell.Commands
    workerGroup:
      key: ${group}
    commands:
      - echo '::{"outputs":{"node":"'"$(node --version 2>/dev/null || echo none)"'"}}::'
`;

/** Tools install.sh needs, and nothing else: a PATH on which there is no Node.js. */
async function pathWithoutNode(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (const tool of [
    'sh',
    'curl',
    'sha256sum',
    'cut',
    'mkdir',
    'chmod',
    'mktemp',
    'rm',
    'mv',
    'tar',
    'gzip',
    'cat',
    'grep',
    'id',
    'uname',
    'cp',
    'sleep',
    'echo',
  ]) {
    const { stdout } = await run('sh', ['-c', `command -v ${tool}`]);
    symlinkSync(stdout.trim(), join(dir, tool));
  }
  return dir;
}

describe('install.sh', () => {
  const processes = new Processes();
  let db: TestDatabase;
  let cp: Awaited<ReturnType<Processes['controlPlane']>>;
  const started: RoostProcess[] = [];

  /** Runs a shell command line as its own process (so that a foreground agent can be stopped with it). */
  const shell = (name: string, line: string, env: Record<string, string>) => {
    const child = spawn('sh', ['-c', line], {
      env: { HOME: processes.tempDir('home'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a pipeline's agent is stopped with it
    });
    const proc = new RoostProcess(name, child);
    started.push(proc);
    return proc;
  };

  const token = async (labels: Record<string, string>) =>
    (await call<{ token: string }>(cp.api, 'POST', '/api/v1/agent-tokens', { labels, maxUses: 1 })).body
      .token;

  beforeAll(async () => {
    await run(process.execPath, [join(ROOT, 'installers/build-bundle.mjs')], { cwd: ROOT });
    ({ db, cp } = await startControlPlane(processes, { secret: 'unused-by-installed-agents' }));
    await applyFlow(cp.api, flow('with-node'));
    await applyFlow(cp.api, flow('without-node'));
  }, 120_000);

  afterAll(async () => {
    for (const proc of started) if (proc.running && proc.child.pid) process.kill(-proc.child.pid, 'SIGTERM');
    await Promise.all(started.map((p) => p.exited));
    await stopControlPlane(processes, db);
  });

  it('passes shellcheck', async () => {
    const available = await run('sh', ['-c', 'command -v shellcheck']).then(
      () => true,
      () => false,
    );
    if (!available) return;
    await run('shellcheck', ['-s', 'sh', join(ROOT, 'installers/install.sh')]);
  });

  it('installs with the Node on the PATH, registers, and runs a task in the foreground (--no-service)', async () => {
    const prefix = processes.tempDir('install-node');
    const agent = shell(
      'installed agent',
      `curl -fsSL ${cp.api}/install.sh | sh -s -- --token ${await token({ group: 'with-node' })} --labels group=with-node --name installed-1 --prefix ${prefix} --no-service`,
      { PATH: process.env.PATH ?? '' },
    );
    await agent.waitFor(/welcomed/, 60_000);
    expect(agent.output).toContain('using Node.js');
    const done = await waitForEnd(cp.api, (await runFlow(cp.api, 'e2e.install', 'installed-with-node')).id);
    expect(done.state.current).toBe('SUCCESS');
    const agents = await call<{ id: string; name: string; labels: Record<string, string> }[]>(
      cp.api,
      'GET',
      '/api/v1/agents',
    );
    const installed = agents.body.find((a) => a.name === 'installed-1')!;
    expect(installed.labels).toEqual({ group: 'with-node' });
    expect(done.taskRunList[0]!.attempts[0]!.agentId).toBe(installed.id);
    // the launchd job macOS would load (generated on every platform, so it can be checked here)
    const plist = readFileSync(join(prefix, 'dev.roost.agent.plist'), 'utf8');
    expect(plist).toContain(`<string>${prefix}/bin/roost-agent</string>`);
    expect(plist).toMatch(/^<\?xml[\s\S]*<\/plist>\n$/);
    if (
      await run('sh', ['-c', 'command -v systemd-analyze']).then(
        () => true,
        () => false,
      )
    ) {
      await run('systemd-analyze', ['verify', join(prefix, 'roost-agent.service')]);
    }
  });

  it('takes the Node runtime from the control plane when there is none, upgrades in place, and uninstalls', async () => {
    const prefix = processes.tempDir('install-bare');
    const PATH = await pathWithoutNode(processes.tempDir('bin'));
    const installToken = await token({ group: 'without-node' });
    const install = shell(
      'installer without node',
      `curl -fsSL ${cp.api}/install.sh | sh -s -- --prefix ${prefix} --no-service --no-start`,
      {
        PATH,
        ROOST_REGISTRATION_TOKEN: installToken,
        ROOST_AGENT_LABELS: 'group=without-node',
        ROOST_AGENT_NAME: 'installed-2',
      },
    );
    expect(await install.exited, install.output).toBe(0);
    expect(install.output).toContain('taking node-');
    expect(existsSync(join(prefix, 'runtime/node'))).toBe(true);
    const agentId = /enrolled as agent (\S+)/.exec(install.output)![1]!;

    const agent = shell('bare agent', `exec ${prefix}/bin/roost-agent start --data-dir ${prefix}/data`, {
      PATH,
    });
    await agent.waitFor(/welcomed/, 60_000);
    const done = await waitForEnd(
      cp.api,
      (await runFlow(cp.api, 'e2e.install', 'installed-without-node')).id,
    );
    expect(done.state.current).toBe('SUCCESS');
    expect(done.taskRunList[0]!.attempts[0]!.agentId).toBe(agentId);
    await agent.kill();

    // re-running upgrades in place: the registration (a used-up token) is kept, the old bundle is kept for rollback
    const again = shell(
      'installer again',
      `curl -fsSL ${cp.api}/install.sh | sh -s -- --prefix ${prefix} --no-service --no-start`,
      { PATH },
    );
    expect(await again.exited, again.output).toBe(0);
    expect(again.output).toContain('already registered');
    expect(again.output).toContain('using the Node.js runtime installed before');
    expect(existsSync(join(prefix, 'app.previous/roost-agent.mjs'))).toBe(true);
    expect(JSON.parse(readFileSync(join(prefix, 'data/agent.json'), 'utf8')).agentId).toBe(agentId);

    // roost agent upgrade: the control plane's bundle, verified, switched in while idle; --rollback switches back
    const upgraded = shell('upgrade', `exec ${prefix}/bin/roost-agent upgrade`, { PATH });
    expect(await upgraded.exited, upgraded.output).toBe(0);
    expect(upgraded.output).toContain('upgraded to agent 0.1.0 (0.1.0 kept in app.previous)');
    const rolledBack = shell('rollback', `exec ${prefix}/bin/roost-agent upgrade --rollback`, { PATH });
    expect(await rolledBack.exited, rolledBack.output).toBe(0);
    expect(rolledBack.output).toContain('rolled back to agent');

    const removed = shell(
      'uninstall',
      `curl -fsSL ${cp.api}/install.sh | sh -s -- --prefix ${prefix} --uninstall`,
      { PATH },
    );
    expect(await removed.exited, removed.output).toBe(0);
    expect(existsSync(prefix)).toBe(false);
  }, 120_000);

  it('refuses an unknown option, and names the runtimes it lacks and where to place them', async () => {
    const unknown = shell('bad option', `curl -fsSL ${cp.api}/install.sh | sh -s -- --frobnicate`, {
      PATH: process.env.PATH ?? '',
    });
    expect(await unknown.exited).toBe(1);
    expect(unknown.output).toContain('unknown option --frobnicate');
    const missing = await call<{ message: string }>(cp.api, 'GET', '/install/runtimes/node-darwin-arm64');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('place others in');
  });

  it('serves install.ps1 for Windows with its address filled in; a PowerShell grammar parses it', async () => {
    const response = await fetch(`${cp.api}/install.ps1`);
    expect(response.status).toBe(200);
    const script = await response.text();
    expect(script).toContain(`if (-not $Url) { $Url = '${cp.api}' }`);
    expect(script).not.toContain('@@ROOST_URL@@');
    for (const flag of [
      'Token',
      'Labels',
      'Name',
      'Prefix',
      'NoService',
      'NoStart',
      'Uninstall',
      'AutoUpgrade',
    ])
      expect(script).toMatch(new RegExp(`\\$${flag} = `));
    expect(script).toContain("FetchVerified '/install/agent.tar.gz'");
    expect(script).toContain('Get-FileHash -Algorithm SHA256');
    expect(script).toContain('Register-ScheduledTask');

    // no PowerShell on this machine (Debian ships none): tree-sitter's PowerShell grammar checks the syntax
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(
      await Language.load(join(ROOT, 'node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm')),
    );
    const errors = (text: string) => {
      const tree = parser.parse(text)!;
      const found = tree.rootNode.descendantsOfType(['ERROR']).map((n) => `line ${n!.startPosition.row + 1}`);
      if (tree.rootNode.hasError && found.length === 0) found.push('a missing token');
      return found;
    };
    expect(errors(script)).toEqual([]);
    expect(errors(script.replace('} else {', '} else {{'))).not.toEqual([]);

    const runtime = await call<{ message: string }>(cp.api, 'GET', '/install/runtimes/node-win-x64.exe');
    expect(runtime.status).toBe(404);
    expect(runtime.body.message).toContain('place others in');
  });
});
