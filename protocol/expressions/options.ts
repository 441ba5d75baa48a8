// Render options as callers pass them, and the same options with every default filled in.

export interface RenderOptions {
  /** host functions resolved by the caller */
  functions?: {
    /** `{{ secret('NAME') }}` */
    secret?: (name: string) => string;
    /** `{{ read('kestra:///...') }}` */
    read?: (uri: string) => string;
  };
  /** upper bound on evaluation steps (default 1_000_000) */
  maxSteps?: number;
  /** upper bound on output length in chars (default 10_000_000) */
  maxOutputLength?: number;
  /** clock for now(); defaults to Date.now */
  now?: () => Date;
  /** a label for error messages, e.g. "task t1 property 'format'" */
  where?: string;
}

export const DEFAULT_MAX_STEPS = 1_000_000;
export const DEFAULT_MAX_OUTPUT_LENGTH = 10_000_000;
/** how deeply render() may nest */
export const MAX_RENDER_DEPTH = 10;

export interface ResolvedOptions {
  functions: NonNullable<RenderOptions['functions']>;
  maxSteps: number;
  maxOutputLength: number;
  now: () => Date;
  where: string | undefined;
}

export function resolveOptions(options: RenderOptions = {}): ResolvedOptions {
  return {
    functions: options.functions ?? {},
    maxSteps: options.maxSteps ?? DEFAULT_MAX_STEPS,
    maxOutputLength: options.maxOutputLength ?? DEFAULT_MAX_OUTPUT_LENGTH,
    now: options.now ?? (() => new Date()),
    where: options.where,
  };
}
