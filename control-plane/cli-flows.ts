// `roost flow` and `roost execution`: storing and validating flows, running and following executions.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RoostError } from '../protocol/index.ts';
import { apiOptions, client, type Out, pairs, parse } from './cli-support.ts';
import type { ApiClient } from './client.ts';

/** Flow files named directly, or every .yml/.yaml file inside named directories. */
function flowFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (/\.ya?ml$/.test(name)) files.push(join(path, name));
    } else files.push(path);
  }
  return files;
}

function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new RoostError('ROOST_CONFIG', `cannot read ${file}: ${(error as Error).message}`);
  }
}

export async function flowCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(args, apiOptions);
  if (!positionals.length)
    throw new RoostError('ROOST_CONFIG', `roost flow ${sub ?? ''}: name at least one file`);
  if (sub === 'validate') {
    const { validateFlowSource } = await import('../protocol/flow/index.ts');
    let failed = 0;
    for (const file of flowFiles(positionals)) {
      const { flow, errors } = validateFlowSource(readSource(file));
      if (flow) out(`${file}: ok (${flow.namespace}.${flow.id})`);
      for (const issue of errors) out(`${file}:${issue.line ?? 1}:${issue.column ?? 1}: ${issue.message}`);
      if (errors.length) failed++;
    }
    return failed ? 1 : 0;
  }
  if (sub === 'apply') {
    const api = client(values);
    for (const file of flowFiles(positionals)) {
      const flow = await api.request<{ namespace: string; id: string; revision: number }>(
        'POST',
        '/api/v1/flows',
        {
          type: 'application/x-yaml',
          data: readSource(file),
        },
      );
      out(`${file}: ${flow.namespace}.${flow.id} revision ${flow.revision}`);
    }
    return 0;
  }
  throw new RoostError('ROOST_CONFIG', `unknown command 'roost flow ${sub ?? ''}': use apply or validate`);
}

interface ExecutionJson {
  id: string;
  state: { current: string };
  taskRunList: { id: string; taskId: string; state: { current: string } }[];
  outputs?: unknown;
}

export async function executionCommand(sub: string | undefined, args: string[], out: Out): Promise<number> {
  if (sub === 'restart' || sub === 'replay' || sub === 'labels') return executionOperation(sub, args, out);
  if (sub !== 'run')
    throw new RoostError(
      'ROOST_CONFIG',
      `unknown command 'roost execution ${sub ?? ''}': use run, restart, replay or labels`,
    );
  const { values, positionals } = parse(args, {
    ...apiOptions,
    input: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    wait: { type: 'boolean' },
  });
  const [namespace, flowId] = positionals;
  if (!namespace || !flowId)
    throw new RoostError('ROOST_CONFIG', 'usage: roost execution run NAMESPACE FLOW_ID');
  const api = client(values);
  const labels = Object.entries(pairs(values.label as string[] | undefined, 'label'))
    .map(([k, v]) => `labels=${encodeURIComponent(`${k}:${v}`)}`)
    .join('&');
  const execution = await api.request<ExecutionJson>(
    'POST',
    `/api/v1/executions/${encodeURIComponent(namespace)}/${encodeURIComponent(flowId)}${labels ? `?${labels}` : ''}`,
    { type: 'application/json', data: JSON.stringify(pairs(values.input as string[] | undefined, 'input')) },
  );
  out(`execution ${execution.id} created`);
  if (!values.wait) return 0;
  return followToEnd(api, execution, out);
}

/** Follows the execution, printing each task run's state as it changes; exit code 1 unless it succeeded. */
async function followToEnd(api: ApiClient, execution: ExecutionJson, out: Out): Promise<number> {
  let last = execution;
  const seen = new Map<string, string>();
  await api.follow(`/api/v1/executions/${execution.id}/follow`, (data) => {
    last = data as ExecutionJson;
    for (const run of last.taskRunList) {
      if (seen.get(run.id) !== run.state.current) {
        seen.set(run.id, run.state.current);
        out(`  ${run.taskId}: ${run.state.current}`);
      }
    }
  });
  out(`execution ${last.id} ended ${last.state.current}`);
  if (last.outputs !== undefined) out(`outputs: ${JSON.stringify(last.outputs)}`);
  return last.state.current === 'SUCCESS' || last.state.current === 'WARNING' ? 0 : 1;
}

/** `roost execution restart|replay|labels ID ...`: Kestra's operations on an existing execution. */
async function executionOperation(
  sub: 'restart' | 'replay' | 'labels',
  args: string[],
  out: Out,
): Promise<number> {
  const { values, positionals } = parse(args, {
    ...apiOptions,
    'task-run': { type: 'string' },
    wait: { type: 'boolean' },
  });
  const [id, ...rest] = positionals;
  if (!id) throw new RoostError('ROOST_CONFIG', `usage: roost execution ${sub} EXECUTION_ID`);
  const api = client(values);
  const path = `/api/v1/executions/${encodeURIComponent(id)}`;
  if (sub === 'labels') {
    const labels = Object.entries(pairs(rest, 'label')).map(([key, value]) => ({ key, value }));
    await api.request('POST', `${path}/labels`, { type: 'application/json', data: JSON.stringify(labels) });
    out(`execution ${id} labels set`);
    return 0;
  }
  const taskRun = values['task-run'] as string | undefined;
  const execution =
    sub === 'restart'
      ? await api.request<ExecutionJson>('POST', `${path}/restart`)
      : await api.request<ExecutionJson>(
          'POST',
          `${path}/replay${taskRun ? `?taskRunId=${encodeURIComponent(taskRun)}` : ''}`,
        );
  out(sub === 'restart' ? `execution ${id} restarted` : `execution ${execution.id} created, replaying ${id}`);
  return values.wait ? followToEnd(api, execution, out) : 0;
}
