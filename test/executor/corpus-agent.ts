// An in-memory stand-in for an agent in the conformance runs: the core tasks (Log, Return, Echo,
// OutputValues, Fail) run with the agent's own code and renderer, so outputs are real and a task whose
// expression fails ends FAILED as it would on an agent. Tasks that need a process are answered SUCCESS.
// The agent's environment is `env`: ENV_* as `envs`, SECRET_* (base64) for secret(), whose values are
// masked in outputs and errors as the agent masks them.
import { tmpdir } from 'node:os';
import { createTaskContext } from '../../agent/runner/task-context.ts';
import { LocalSecrets, SecretMask } from '../../agent/secrets.ts';
import { TaskRegistry } from '../../agent/tasks/registry.ts';
import { expressionEnvs, KestraEnvSecrets } from '../../protocol/environment.ts';
import { renderDeep } from '../../protocol/expressions/index.ts';
import { PROTOCOL_VERSION } from '../../protocol/index.ts';
import type { SimJob, SimOutcome } from './simulate.ts';

const registry = new TaskRegistry();
const PROCESS_TASKS = new Set([
  'io.kestra.plugin.scripts.shell.Commands',
  'io.kestra.plugin.scripts.shell.Script',
  'io.kestra.plugin.scripts.python.Script',
  'io.kestra.plugin.scripts.python.Commands',
  'io.kestra.plugin.scripts.node.Script',
  'io.kestra.plugin.scripts.node.Commands',
  'io.kestra.plugin.core.http.Request',
  'io.kestra.plugin.core.http.Download',
]);

/** Runs one job as the agent would, and reports its outcome. */
export async function runOnAgent(job: SimJob, env: Record<string, string> = {}): Promise<SimOutcome> {
  const secrets = new LocalSecrets({}, new KestraEnvSecrets(env));
  const mask = new SecretMask();
  if (PROCESS_TASKS.has(job.type)) return { state: 'SUCCESS', outputs: { exitCode: 0 } };
  const { ctx, cleanup } = createTaskContext({
    job: {
      v: PROTOCOL_VERSION,
      id: `${job.taskId}-${job.attempt}`,
      jobId: `${job.taskId}-${job.value ?? ''}`,
      attempt: job.attempt,
      leaseMs: 30_000,
      executionId: 'e1',
      taskRunId: 'r',
      slots: 1,
      offline: false,
      task: job.task,
      context: job.context,
    },
    renderer: { renderDeep },
    envs: expressionEnvs(env),
    secret: (name) => {
      const value = secrets.get(name);
      mask.add(value);
      return value;
    },
    childEnv: {},
    workRoot: tmpdir(),
    killGraceMs: 0,
    signal: new AbortController().signal,
    log: () => {},
  });
  try {
    const outcome = await registry.resolve(job.type).run(ctx);
    return { state: outcome.state ?? 'SUCCESS', outputs: mask.maskDeep(outcome.outputs ?? {}) };
  } catch (error) {
    return { state: 'FAILED', error: { message: mask.mask((error as Error).message) } };
  } finally {
    await cleanup();
  }
}
