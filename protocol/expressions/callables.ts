// The shape of filters, functions and tests, and the binding of call arguments to their declared parameters.

import { FailureKind, fail } from './errors.ts';
import type { RenderOptions } from './options.ts';
import type { Dict } from './values.ts';

/** Bound arguments by parameter name; a parameter that was not passed is absent. */
export type BoundArgs = Record<string, unknown>;

/** What a filter or function may use from the evaluation, and nothing else. */
export interface CallContext {
  now(): Date;
  /** charges evaluation steps (e.g. one per element a filter creates) */
  step(count: number): void;
  readonly maxOutputLength: number;
  readonly functions: NonNullable<RenderOptions['functions']>;
  /** renders a template string with the current variables; `recursive` renders the result again while it changes */
  renderString(template: string, recursive: boolean): string;
  /** every variable visible here, for printContext() */
  variables(): Dict;
}

export interface FilterDef {
  /** parameter names in positional order; a leading `...` collects all positional arguments */
  params: readonly string[];
  apply(input: unknown, args: BoundArgs, call: CallContext): unknown;
}

export interface FunctionDef {
  params: readonly string[];
  apply(args: BoundArgs, call: CallContext): unknown;
}

export interface TestDef {
  params: readonly string[];
  apply(subject: unknown, args: BoundArgs): boolean;
}

/** Maps positional and named arguments onto `params`, rejecting extra or unknown ones. */
export function bindArgs(
  params: readonly string[],
  positional: unknown[],
  named: Array<{ name: string; value: unknown }>,
  what: string,
): BoundArgs {
  const args: BoundArgs = Object.create(null);
  const variadic = params[0]?.startsWith('...') ? params[0].slice(3) : undefined;
  if (variadic !== undefined) {
    args[variadic] = positional;
  } else {
    if (positional.length > params.length) {
      const expected =
        params.length === 0 ? 'no arguments' : `at most ${params.length} (${params.join(', ')})`;
      fail(FailureKind.SYNTAX, `${what} takes ${expected}, got ${positional.length}`);
    }
    positional.forEach((value, i) => {
      args[params[i]!] = value;
    });
  }
  for (const { name, value } of named) {
    if (!params.includes(name)) {
      const known = params.filter((p) => !p.startsWith('...'));
      fail(
        FailureKind.SYNTAX,
        `${what} has no argument '${name}'${known.length ? ` (it takes ${known.join(', ')})` : ''}`,
      );
    }
    if (name in args) fail(FailureKind.SYNTAX, `${what} got argument '${name}' twice`);
    args[name] = value;
  }
  return args;
}

export function requireArg(args: BoundArgs, name: string, what: string): unknown {
  if (!(name in args)) fail(FailureKind.SYNTAX, `${what} needs the argument '${name}'`);
  return args[name];
}
