// Runs a jq expression on a value and returns every result as a list, as Kestra's `jq` filter does.
// Reads only own properties of plain objects; every produced value is charged to the evaluation budget.
import { Failure, FailureKind, fail } from './errors.ts';
import { JQ_BUILTINS } from './jq-builtins.ts';
import { parseJq } from './jq-parser.ts';
import type { JqNode } from './jq-syntax.ts';
import { type Env, type JqRuntime, jqArithmetic, jqCompare, jqTruthy } from './jq-values.ts';
import { buildMap, isMap, mapEntries, ownValue, typeName, valuesEqual } from './values.ts';

function index(target: unknown, key: unknown): unknown {
  if (target === null || target === undefined) return null;
  if (typeof key === 'string' && isMap(target)) return ownValue(target, key) ?? null;
  if (typeof key === 'number' && Array.isArray(target)) {
    const i = Math.floor(key) < 0 ? target.length + Math.floor(key) : Math.floor(key);
    return target[i] ?? null;
  }
  return fail(
    FailureKind.TYPE,
    `jq: cannot index ${typeName(target)} with ${typeof key === 'string' ? `"${key}"` : typeName(key)}`,
  );
}

function iterate(target: unknown): unknown[] {
  if (Array.isArray(target)) return target;
  if (isMap(target)) return mapEntries(target).map(([, v]) => v);
  return fail(FailureKind.TYPE, `jq: cannot iterate over ${typeName(target)}`);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === '==') return valuesEqual(a, b);
  if (op === '!=') return !valuesEqual(a, b);
  const c = jqCompare(a, b);
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

class Runner implements JqRuntime {
  constructor(readonly step: (n: number) => void) {}

  run(node: JqNode, input: unknown, env: Env): unknown[] {
    this.step(1);
    const out = this.eval(node, input, env);
    if (out.length > 1) this.step(out.length);
    return out;
  }

  private pairs(
    left: JqNode,
    right: JqNode,
    input: unknown,
    env: Env,
    f: (a: unknown, b: unknown) => unknown,
  ): unknown[] {
    const rights = this.run(right, input, env);
    return this.run(left, input, env).flatMap((a) => rights.map((b) => f(a, b)));
  }

  private eval(node: JqNode, input: unknown, env: Env): unknown[] {
    switch (node.t) {
      case 'identity':
        return [input];
      case 'recurse': {
        const out: unknown[] = [];
        const walk = (v: unknown): void => {
          this.step(1);
          out.push(v);
          if (Array.isArray(v) || isMap(v)) for (const child of iterate(v)) walk(child);
        };
        walk(input);
        return out;
      }
      case 'field':
        return this.run(node.target, input, env).map((t) => index(t, node.name));
      case 'index':
        return this.run(node.target, input, env).flatMap((t) =>
          this.run(node.index, input, env).map((k) => index(t, k)),
        );
      case 'slice':
        return this.run(node.target, input, env).map((t) => {
          if (t === null) return null;
          if (!Array.isArray(t) && typeof t !== 'string')
            return fail(FailureKind.TYPE, `jq: cannot slice ${typeName(t)}`);
          const bound = (b: JqNode | undefined, fallback: number): number => {
            const v = b ? this.run(b, input, env)[0] : fallback;
            return typeof v === 'number' ? v : fallback;
          };
          return t.slice(bound(node.from, 0), bound(node.to, t.length));
        });
      case 'iterate':
        return this.run(node.target, input, env).flatMap(iterate);
      case 'optional':
        try {
          return this.run(node.body, input, env);
        } catch (error) {
          if (error instanceof Failure && error.kind === FailureKind.TYPE) return [];
          throw error;
        }
      case 'literal':
        return [node.value];
      case 'array':
        return [node.body ? this.run(node.body, input, env) : []];
      case 'object': {
        let objects: Array<Array<[string, unknown]>> = [[]];
        for (const entry of node.entries) {
          const keys = this.run(entry.key, input, env);
          const values = this.run(entry.value, input, env);
          objects = objects.flatMap((o) =>
            keys.flatMap((k) => {
              if (typeof k !== 'string')
                return fail(FailureKind.TYPE, `jq: object keys must be strings, got ${typeName(k)}`);
              return values.map((v): Array<[string, unknown]> => [...o, [k, v]]);
            }),
          );
        }
        return objects.map((entries) => buildMap(entries));
      }
      case 'pipe':
        return this.run(node.left, input, env).flatMap((v) => this.run(node.right, v, env));
      case 'comma':
        return [...this.run(node.left, input, env), ...this.run(node.right, input, env)];
      case 'and':
      case 'or':
        return this.run(node.left, input, env).flatMap((a) => {
          if (node.t === 'and' ? !jqTruthy(a) : jqTruthy(a)) return [node.t === 'or'];
          return this.run(node.right, input, env).map(jqTruthy);
        });
      case 'alt': {
        const left = this.tryRun(node.left, input, env).filter(jqTruthy);
        return left.length > 0 ? left : this.run(node.right, input, env);
      }
      case 'binary':
        return COMPARE_OPS.has(node.op)
          ? this.pairs(node.left, node.right, input, env, (a, b) => compare(node.op, a, b))
          : this.pairs(node.left, node.right, input, env, (a, b) => jqArithmetic(node.op, a, b));
      case 'neg':
        return this.run(node.body, input, env).map((v) =>
          typeof v === 'number' ? -v : fail(FailureKind.TYPE, `jq: cannot negate ${typeName(v)}`),
        );
      case 'var':
        if (!env.has(node.name)) return fail(FailureKind.SYNTAX, `jq: $${node.name} is not defined`);
        return [env.get(node.name)];
      case 'bind':
        return this.run(node.source, input, env).flatMap((v) =>
          this.run(node.body, input, new Map(env).set(node.name, v)),
        );
      case 'reduce': {
        let acc = this.run(node.init, input, env);
        for (const item of this.run(node.source, input, env)) {
          const scope = new Map(env).set(node.name, item);
          acc = acc.flatMap((a) => this.run(node.update, a, scope)).slice(-1);
        }
        return acc;
      }
      case 'if': {
        const [first, ...rest] = node.branches;
        return this.run(first!.cond, input, env).flatMap((c) => {
          if (jqTruthy(c)) return this.run(first!.body, input, env);
          if (rest.length > 0)
            return this.run({ t: 'if', branches: rest, otherwise: node.otherwise }, input, env);
          return node.otherwise ? this.run(node.otherwise, input, env) : [input];
        });
      }
      case 'call': {
        const builtin = JQ_BUILTINS.get(`${node.name}/${node.args.length}`);
        if (!builtin)
          return fail(FailureKind.SYNTAX, `jq: ${node.name}/${node.args.length} is not supported`);
        return builtin(this, input, node.args, env);
      }
    }
  }

  private tryRun(node: JqNode, input: unknown, env: Env): unknown[] {
    try {
      return this.run(node, input, env);
    } catch (error) {
      if (error instanceof Failure && error.kind === FailureKind.TYPE) return [];
      throw error;
    }
  }
}

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** All results of `expression` applied to `input`. */
export function runJq(expression: string, input: unknown, step: (n: number) => void): unknown[] {
  // Dates and big integers become what JSON would hold, as for Kestra's jq over Jackson nodes.
  return new Runner(step).run(parseJq(expression), normalize(input), new Map());
}

function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (isMap(value)) return buildMap(mapEntries(value).map(([k, v]) => [k, normalize(v)]));
  return value;
}
