// Reads the values the date filters accept: ISO-8601 strings (with or without offset or zone), epoch
// milliseconds, Date objects, and strings in a Java pattern given as `existingFormat`.
import { FailureKind, fail } from '../errors.ts';
import { aTypeName } from '../values.ts';
import { MONTHS, WEEKDAYS } from './format.ts';
import { parsePattern } from './pattern.ts';
import { instantOf, parseZone, UTC, wallMillis, type Zone, type ZonedTime } from './zones.ts';

const ISO =
  /^([+-]?\d{4,9})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?(?:\[([^\]]+)\])?$/i;

export interface ReadOptions {
  existingFormat?: string | undefined;
  /** shows the result in this zone; also the zone of inputs that carry none */
  timeZone?: string | undefined;
}

function fromFields(
  fields: {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
    nano: number;
  },
  zone: Zone,
): { epochMs: number; nanos: number } {
  const { year, month, day, hour, minute, second, nano } = fields;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    fail(FailureKind.TYPE, `Invalid date ${year}-${month}-${day} ${hour}:${minute}:${second}`);
  }
  const wall = wallMillis(year, month, day, hour, minute, second, Math.floor(nano / 1_000_000));
  return { epochMs: instantOf(zone, wall), nanos: nano % 1_000_000 };
}

function parseIso(text: string, fallbackZone: Zone): ZonedTime | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const offset = m[8] ? parseZone(m[8].toUpperCase()) : undefined;
  const region = m[9] ? parseZone(m[9]) : undefined;
  const fraction = (m[7] ?? '').padEnd(9, '0');
  const fields = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    nano: Number(fraction),
  };
  const instant = fromFields(fields, offset ?? region ?? fallbackZone);
  return { ...instant, zone: region ?? offset ?? fallbackZone };
}

const NUMERIC_FIELDS: Record<string, string> = {
  M: 'month',
  L: 'month',
  d: 'day',
  H: 'hour',
  k: 'hour',
  h: 'hour12',
  K: 'hour12',
  m: 'minute',
  s: 'second',
};

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Parses `text` with a Java pattern; fields the pattern lacks default to 1970-01-01 00:00:00. */
function parseWithPattern(text: string, pattern: string, fallbackZone: Zone): ZonedTime {
  const parts = parsePattern(pattern);
  const setters: Array<(value: string, f: Record<string, number>, z: { zone: Zone }) => void> = [];
  let regex = '^';
  const numeric = (count: number, max: number): string =>
    count === 1 ? `(\\d{1,${max}})` : `(\\d{${count}})`;
  const names = (list: string[], count: number): string =>
    `(${list.map((n) => (count === 3 ? n.slice(0, 3) : n)).join('|')})`;
  for (const part of parts) {
    if ('literal' in part) {
      regex += escapeRegex(part.literal);
      continue;
    }
    const { letter, count } = part;
    const set = (key: string, map: (v: string) => number = Number) =>
      setters.push((v, f) => {
        f[key] = map(v);
      });
    if (letter === 'y' || letter === 'u' || letter === 'Y') {
      regex += count === 2 ? '(\\d{2})' : '([+-]?\\d{1,9})';
      set('year', (v) => (count === 2 ? 2000 + Number(v) : Number(v)));
    } else if ((letter === 'M' || letter === 'L') && count >= 3) {
      regex += names(MONTHS, count);
      set('month', (v) => MONTHS.findIndex((n) => n.toLowerCase().startsWith(v.toLowerCase())) + 1);
    } else if (letter === 'E') {
      regex += names(WEEKDAYS, count >= 4 ? 4 : 3);
      setters.push(() => undefined);
    } else if (letter === 'a') {
      regex += '(AM|PM)';
      set('pm', (v) => (v.toUpperCase() === 'PM' ? 1 : 0));
    } else if (letter === 'S') {
      regex += `(\\d{${count}})`;
      set('nano', (v) => Number(v.padEnd(9, '0').slice(0, 9)));
    } else if (letter === 'X' || letter === 'x' || letter === 'Z') {
      regex += '(Z|[+-]\\d{2}(?::?\\d{2})?)';
      setters.push((v, _f, z) => {
        z.zone = parseZone(v.toUpperCase());
      });
    } else if (letter === 'V' || letter === 'z') {
      regex += '([A-Za-z_]+(?:/[A-Za-z_]+)*)';
      setters.push((v, _f, z) => {
        z.zone = parseZone(v);
      });
    } else {
      const key = NUMERIC_FIELDS[letter];
      if (key === undefined)
        fail(FailureKind.TYPE, `The date pattern letter '${letter}' cannot be used to read a date`);
      regex += numeric(count, 2);
      set(key);
    }
  }
  const match = new RegExp(`${regex}$`, 'i').exec(text.trim());
  if (!match) fail(FailureKind.TYPE, `Cannot read '${text}' as a date with the format '${pattern}'`);
  const f: Record<string, number> = Object.create(null);
  const z = { zone: fallbackZone };
  setters.forEach((setter, i) => {
    setter(match[i + 1]!, f, z);
  });
  const hour = f.hour12 !== undefined ? (f.hour12 % 12) + (f.pm ? 12 : 0) : (f.hour ?? 0) % 24;
  const instant = fromFields(
    {
      year: f.year ?? 1970,
      month: f.month ?? 1,
      day: f.day ?? 1,
      hour,
      minute: f.minute ?? 0,
      second: f.second ?? 0,
      nano: f.nano ?? 0,
    },
    z.zone,
  );
  return { ...instant, zone: z.zone };
}

/** Reads a date value; with `timeZone`, the result is shown in that zone. */
export function readDate(value: unknown, options: ReadOptions = {}): ZonedTime {
  const display = options.timeZone === undefined ? undefined : parseZone(options.timeZone);
  const fallback = display ?? UTC;
  let time: ZonedTime;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail(FailureKind.TYPE, 'Invalid date');
    time = { epochMs: value.getTime(), nanos: 0, zone: fallback };
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    time = { epochMs: Math.floor(Number(value)), nanos: 0, zone: fallback };
  } else if (typeof value === 'string') {
    const parsed = options.existingFormat
      ? parseWithPattern(value, options.existingFormat, fallback)
      : parseIso(value, fallback);
    if (!parsed) {
      return fail(
        FailureKind.TYPE,
        `Cannot read '${value}' as a date; give its format with existingFormat='...'`,
      );
    }
    time = parsed;
  } else {
    return fail(
      FailureKind.TYPE,
      `Expected a date (an ISO-8601 string, a Date or epoch milliseconds), got ${aTypeName(value)}`,
    );
  }
  return display ? { ...time, zone: display } : time;
}
