// The state of one render: variables (the caller's context under local `set`/loop scopes), the shared step and
// output budget, and the CallContext that filters and functions see.
import type { CallContext } from './callables.ts';
import { FailureKind, fail, type Source } from './errors.ts';
import type { ResolvedOptions } from './options.ts';
import { aTypeName, type Dict, isList, isMap, MISSING, type Missing } from './values.ts';

/** Shared by a render and every render() nested in it. */
export interface Budget {
  steps: number;
}

/** Renders a template string inside an evaluation (the render() function); supplied by the template renderer. */
export type NestedRenderer = (parent: Evaluation, template: string, recursive: boolean) => string;

export interface EvaluationInit {
  source: Source;
  context: Dict;
  options: ResolvedOptions;
  renderNested: NestedRenderer;
  budget?: Budget;
  /** how many render() calls this evaluation is nested in */
  depth?: number;
  /** local variables visible from the start (a nested render() sees its caller's) */
  locals?: Map<string, unknown>;
}

export class Evaluation {
  readonly source: Source;
  readonly context: Dict;
  readonly options: ResolvedOptions;
  readonly budget: Budget;
  readonly depth: number;
  private readonly renderNested: NestedRenderer;
  private readonly scopes: Array<Map<string, unknown>>;
  private call: CallContext | undefined;

  constructor(init: EvaluationInit) {
    this.source = init.source;
    this.context = init.context;
    this.options = init.options;
    this.renderNested = init.renderNested;
    this.budget = init.budget ?? { steps: 0 };
    this.depth = init.depth ?? 0;
    this.scopes = [new Map(init.locals)];
  }

  step(count = 1): void {
    this.budget.steps += count;
    if (this.budget.steps > this.options.maxSteps) {
      fail(
        FailureKind.BUDGET,
        `Evaluation stopped after ${this.options.maxSteps} steps (the expression budget)`,
      );
    }
  }

  /** Fails when a produced value would not fit in the output limit. */
  checkSize(value: unknown): void {
    if (typeof value === 'string' && value.length > this.options.maxOutputLength) {
      fail(
        FailureKind.BUDGET,
        `A value of ${value.length} characters is over the output limit of ${this.options.maxOutputLength}`,
      );
    }
    if (isList(value)) this.step(value.length);
  }

  lookup(name: string): unknown | Missing {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i]!;
      if (scope.has(name)) return scope.get(name);
    }
    const descriptor = Object.getOwnPropertyDescriptor(this.context, name);
    return descriptor && 'value' in descriptor ? descriptor.value : MISSING;
  }

  /** `{% set %}`: updates the nearest local scope that has the name, else defines it in the innermost one. */
  assign(name: string, value: unknown): void {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i]!;
      if (scope.has(name)) {
        scope.set(name, value);
        return;
      }
    }
    this.scopes.at(-1)!.set(name, value);
  }

  /** Defines a variable in the innermost scope only (loop variables). */
  define(name: string, value: unknown): void {
    this.scopes.at(-1)!.set(name, value);
  }

  pushScope(): void {
    this.scopes.push(new Map());
  }

  popScope(): void {
    this.scopes.pop();
  }

  /** Local variables flattened, inner scopes winning. */
  locals(): Map<string, unknown> {
    const merged = new Map<string, unknown>();
    for (const scope of this.scopes) for (const [k, v] of scope) merged.set(k, v);
    return merged;
  }

  variables(): Dict {
    const all: Dict = {};
    for (const key of Object.keys(this.context)) {
      Object.defineProperty(all, key, {
        value: this.lookup(key),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    for (const [key, value] of this.locals()) {
      Object.defineProperty(all, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return all;
  }

  /** Names visible at the root, for "Missing variable" hints. */
  rootNames(): string[] {
    return [...new Set([...Object.keys(this.context), ...this.locals().keys()])];
  }

  /** The view filters and functions get; built once per evaluation. */
  callContext(): CallContext {
    this.call ??= {
      now: () => this.options.now(),
      step: (count) => this.step(count),
      maxOutputLength: this.options.maxOutputLength,
      functions: this.options.functions,
      renderString: (template, recursive) => this.renderNested(this, template, recursive),
      variables: () => this.variables(),
    };
    return this.call;
  }
}

/** A short hint of what a container holds, for "Missing variable" messages. */
export function contentsHint(container: unknown): string {
  if (isList(container)) return `it has ${container.length} item${container.length === 1 ? '' : 's'}`;
  if (isMap(container)) return keysHint(Object.keys(container));
  return `it is ${aTypeName(container)}`;
}

export function keysHint(keys: string[]): string {
  if (keys.length === 0) return 'it is empty';
  const shown = keys.slice(0, 8).join(', ');
  return `available: ${shown}${keys.length > 8 ? `, … (${keys.length} in all)` : ''}`;
}
