// Kestra's in-band output protocol for scripts: a stdout line `::{"outputs":{...}}::` sets task outputs.

const OUTPUT_LINE = /^::(\{.*\})::$/;

export interface OutputLine {
  outputs?: Record<string, unknown>;
}

/** The parsed `::{...}::` line, or undefined when the line is ordinary output or not valid JSON. */
export function parseOutputLine(line: string): OutputLine | undefined {
  const match = OUTPUT_LINE.exec(line.trim());
  if (!match?.[1]) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(match[1]);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const outputs = (value as { outputs?: unknown }).outputs;
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) return {};
  return { outputs: outputs as Record<string, unknown> };
}
