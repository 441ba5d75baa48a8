// The agent's scoped logger: a narrow interface every part receives, and a console implementation.

export const LogSeverity = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogSeverity = keyof typeof LogSeverity;

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines carry `scope` after this one's. */
  child(scope: string): Logger;
}

type Sink = (line: string) => void;

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string')
    return /^[\w./:@-]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

function format(severity: LogSeverity, scope: string, message: string, fields?: LogFields): string {
  const parts = [new Date().toISOString(), severity.toUpperCase().padEnd(5), `[${scope}]`, message];
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(' ');
}

/** Writes one line per entry at or above `minimum` to `sink` (stderr by default). */
export function createConsoleLogger(
  scope: string,
  options: { minimum?: LogSeverity; sink?: Sink } = {},
): Logger {
  const minimum = LogSeverity[options.minimum ?? 'info'];
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  const at =
    (severity: LogSeverity) =>
    (message: string, fields?: LogFields): void => {
      if (LogSeverity[severity] >= minimum) sink(format(severity, scope, message, fields));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (sub) => createConsoleLogger(`${scope}/${sub}`, options),
  };
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
