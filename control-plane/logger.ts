// The control plane's logger: pino, as JSON lines, or as short readable lines on a terminal.
import { Writable } from 'node:stream';
import { pino } from 'pino';

export type Logger = pino.Logger;

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);

/** Turns pino's JSON lines into `12:00:00.000 INFO  [executor] message key=value`. */
function readableLines(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          const time = new Date(entry.time as number).toISOString().slice(11, 23);
          const level = (LEVEL_NAMES[entry.level as number] ?? String(entry.level)).padEnd(5);
          const scope = entry.component ? ` [${entry.component}]` : '';
          const fields = Object.entries(entry)
            .filter(([k]) => !SKIP.has(k))
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
          out.write(
            `${time} ${level}${scope} ${entry.msg ?? ''}${fields.length ? ` ${fields.join(' ')}` : ''}\n`,
          );
        } catch {
          out.write(`${line}\n`);
        }
      }
      done();
    },
  });
}

export interface LoggerOptions {
  level?: string;
  /** 'json' or 'pretty'; default pretty on a terminal, JSON otherwise */
  format?: 'json' | 'pretty';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const level = options.level ?? process.env.ROOST_LOG_LEVEL ?? 'info';
  const destination = format === 'pretty' ? readableLines(process.stderr) : pino.destination(2);
  return pino({ level, base: undefined }, destination);
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
