// What the executor's own renders see of the control plane: secret() from its SECRET_* variables
// (base64), `envs` from its ENV_* variables, and the server's `globals`; and what a job carries to agents.
import { describe, expect, it } from 'vitest';
import { renderHost } from '../../control-plane/executor/index.ts';
import { simulate, yaml } from './simulate.ts';

const LOG = 'io.kestra.plugin.core.log.Log';
const FLOW = 'io.kestra.plugin.core.flow';

const host = renderHost(
  { SECRET_GATE: btoa('open'), ENV_STAGE: 'prod', ENV_OTHER: 'x', PATH: '/bin' },
  { region: 'eu', limits: { max: 3 } },
);

const ifOn = (condition: string) => yaml`
  tasks:
    - id: gate
      type: ${FLOW}.If
      condition: "${condition}"
      then:
        - { id: yes, type: ${LOG}, message: y }
      else:
        - { id: no, type: ${LOG}, message: n }
`;

describe('secret() in what the executor renders', () => {
  it("resolves from the control plane's SECRET_ variable (base64), whatever the case of the name", async () => {
    const r = await simulate(ifOn("{{ secret('gate') == 'open' }}"), { host });
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.runsOf('yes')).toHaveLength(1);
    expect(r.runsOf('no')).toHaveLength(0);
  });

  it('fails the task naming the expression, the variable it read, and that agents hold the others', async () => {
    const r = await simulate(ifOn("{{ secret('DB_PASSWORD') == 'x' }}"), { host });
    expect(r.execution.state).toBe('FAILED');
    expect(r.run('gate').state).toBe('FAILED');
    const message = r.logs.map((l) => l.message).join('\n');
    expect(message).toContain("task 'gate' condition");
    expect(message).toContain("secret 'DB_PASSWORD' is not in the control plane's environment");
    expect(message).toContain('SECRET_DB_PASSWORD');
    expect(message).toContain('available only in tasks run on agents');
  });

  it('fails a runIf that reads a secret the control plane lacks, and the flow goes on to its errors', async () => {
    const r = await simulate(
      yaml`
        tasks:
          - { id: guarded, type: ${LOG}, message: m, runIf: "{{ secret('TOKEN') }}" }
        errors:
          - { id: handler, type: ${LOG}, message: e }
      `,
      { host },
    );
    expect(r.execution.state).toBe('FAILED');
    expect(r.run('guarded').state).toBe('FAILED');
    expect(r.run('handler').state).toBe('SUCCESS');
    expect(r.logs.map((l) => l.message).join('\n')).toMatch(/task 'guarded' runIf.*secret 'TOKEN'/);
  });

  it('fails when the SECRET_ variable is not base64, naming it', async () => {
    const r = await simulate(ifOn("{{ secret('plain') }}"), {
      host: renderHost({ SECRET_PLAIN: 'not base64!' }),
    });
    expect(r.execution.state).toBe('FAILED');
    expect(r.logs.map((l) => l.message).join('\n')).toContain('SECRET_PLAIN is not base64');
  });

  it('renders Subflow inputs with a secret of the control plane', async () => {
    const child = `
id: child
namespace: lib
inputs:
  - { id: key, type: STRING }
tasks:
  - { id: hello, type: ${LOG}, message: "{{ inputs.key }}" }
`;
    const r = await simulate(
      yaml`
        tasks:
          - id: call
            type: ${FLOW}.Subflow
            namespace: lib
            flowId: child
            inputs: { key: "{{ secret('GATE') }}" }
      `,
      { host, flows: [child] },
    );
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.children[0]!.execution.inputs).toEqual({ key: 'open' });
  });
});

describe('envs and globals in what the executor renders', () => {
  it("sees the control plane's ENV_ variables as envs and the server's globals", async () => {
    const r = await simulate(
      yaml`
        tasks:
          - id: each
            type: ${FLOW}.ForEach
            values: "{{ [envs.stage, globals.region, globals.limits.max] | json }}"
            tasks:
              - { id: inner, type: ${LOG}, message: "{{ taskrun.value }}" }
          - id: gate
            type: ${FLOW}.If
            condition: "{{ envs.stage == 'prod' and globals.limits.max == 3 }}"
            then:
              - { id: yes, type: ${LOG}, message: y }
      `,
      { host },
    );
    expect(r.execution.state).toBe('SUCCESS');
    expect(r.runsOf('inner').map((run) => run.value)).toEqual(['prod', 'eu', '3']);
    expect(r.runsOf('yes')).toHaveLength(1);
  });

  it('gives a job the globals but not the envs: an agent sees its own environment as envs', async () => {
    const r = await simulate(
      yaml`
      tasks:
        - { id: work, type: ${LOG}, message: m }
    `,
      { host },
    );
    const [job] = r.jobs;
    expect(job!.context.globals).toEqual({ region: 'eu', limits: { max: 3 } });
    expect(job!.context).not.toHaveProperty('envs');
    // the control plane's secrets never travel in a job
    expect(JSON.stringify(job!.context)).not.toContain(btoa('open'));
  });

  it('fails an undefined global naming the expression, as any undefined variable', async () => {
    const r = await simulate(ifOn('{{ globals.missing }}'), { host });
    expect(r.execution.state).toBe('FAILED');
    expect(r.logs.map((l) => l.message).join('\n')).toContain("task 'gate' condition");
  });
});
