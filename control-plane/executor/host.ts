// What the executor's own renders (conditions, flowable properties, Subflow inputs, runIf, flow outputs)
// see of the control plane: `envs` from its ENV_* variables, the server's `globals`, and secret() from its
// SECRET_* variables (base64, Kestra's open-source convention). Secrets of agents' stores never reach the
// control plane: a secret it lacks fails the render, naming the expression and saying where it can be had.
import { expressionEnvs, KestraEnvSecrets } from '../../protocol/environment.ts';
import type { RenderOptions } from '../../protocol/expressions/index.ts';

export interface RenderHost {
  readonly envs: Readonly<Record<string, string>>;
  readonly globals: Readonly<Record<string, unknown>>;
  readonly secrets: KestraEnvSecrets;
}

export function renderHost(
  env: Readonly<Record<string, string | undefined>> = {},
  globals: Readonly<Record<string, unknown>> = {},
): RenderHost {
  return { envs: expressionEnvs(env), globals, secrets: new KestraEnvSecrets(env) };
}

/** A host with nothing: no envs, no globals, no secrets. */
export const EMPTY_HOST = renderHost();

/** Where a render context keeps its host: a symbol, so no expression can reach it and JSON drops it. */
export const RENDER_HOST = Symbol('roost.renderHost');

/** The render options of an expression the executor renders in `context` (made by context.ts). */
export function renderOptions(context: Record<string, unknown>, where: string): RenderOptions {
  const host = (context as { [RENDER_HOST]?: RenderHost })[RENDER_HOST] ?? EMPTY_HOST;
  return hostOptions(host, where);
}

export function hostOptions(host: RenderHost, where: string): RenderOptions {
  return {
    where,
    functions: {
      secret: (name) => {
        const value = host.secrets.find(name);
        if (value !== undefined) return value;
        throw new Error(
          `secret '${name}' is not in the control plane's environment: the executor renders this expression itself and reads secrets only from its own ${KestraEnvSecrets.variableOf(name)} variable (base64); secrets of agents' stores are available only in tasks run on agents`,
        );
      },
    },
  };
}
