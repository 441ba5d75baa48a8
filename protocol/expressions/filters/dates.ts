// Date filters (date, dateAdd, timestamp, timestampMilli/Micro/Nano) and the now() function's formatting.
import type { BoundArgs, FilterDef } from '../callables.ts';
import { requireArg } from '../callables.ts';
import { DEFAULT_PATTERN, formatDate } from '../dates/format.ts';
import { readDate } from '../dates/parse.ts';
import { instantOf, parseZone, UTC, wallMillis, wallTime, type ZonedTime } from '../dates/zones.ts';
import { FailureKind, fail } from '../errors.ts';
import { toInteger, toStringArg } from '../values.ts';

const TIME_UNITS = new Map<string, bigint>([
  ['NANOS', 1n],
  ['MICROS', 1_000n],
  ['MILLIS', 1_000_000n],
  ['SECONDS', 1_000_000_000n],
  ['MINUTES', 60_000_000_000n],
  ['HOURS', 3_600_000_000_000n],
  ['HALF_DAYS', 43_200_000_000_000n],
]);
/** Date-based units, in days or months; they keep the wall-clock time in the date's zone. */
const DATE_UNITS = new Map<string, { days?: number; months?: number }>([
  ['DAYS', { days: 1 }],
  ['WEEKS', { days: 7 }],
  ['MONTHS', { months: 1 }],
  ['YEARS', { months: 12 }],
  ['DECADES', { months: 120 }],
  ['CENTURIES', { months: 1_200 }],
  ['MILLENNIA', { months: 12_000 }],
]);

const optionalString = (args: BoundArgs, name: string, what: string): string | undefined =>
  args[name] === undefined || args[name] === null ? undefined : toStringArg(args[name], what);

function read(input: unknown, args: BoundArgs, what: string): ZonedTime {
  return readDate(input, {
    existingFormat: optionalString(args, 'existingFormat', what),
    timeZone: optionalString(args, 'timeZone', what),
  });
}

function format(time: ZonedTime, args: BoundArgs, what: string): string {
  return formatDate(time, optionalString(args, 'format', what) ?? DEFAULT_PATTERN);
}

export function addToDate(time: ZonedTime, amount: number, unit: string): ZonedTime {
  const nanosPerUnit = TIME_UNITS.get(unit);
  if (nanosPerUnit !== undefined) {
    const total = BigInt(time.epochMs) * 1_000_000n + BigInt(time.nanos) + BigInt(amount) * nanosPerUnit;
    const epochMs = total >= 0n ? total / 1_000_000n : (total - 999_999n) / 1_000_000n;
    return { ...time, epochMs: Number(epochMs), nanos: Number(total - epochMs * 1_000_000n) };
  }
  const dateUnit = DATE_UNITS.get(unit);
  if (!dateUnit) {
    const units = [...TIME_UNITS.keys(), ...DATE_UNITS.keys()].join(', ');
    return fail(FailureKind.TYPE, `Unknown time unit '${unit}' (use one of ${units})`);
  }
  const w = wallTime(time);
  const monthIndex = w.year * 12 + (w.month - 1) + (dateUnit.months ?? 0) * amount;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12 + 1;
  const lastDay = new Date(wallMillis(year, month + 1, 0)).getUTCDate();
  const day = Math.min(w.day, lastDay) + (dateUnit.days ?? 0) * amount;
  const wall = wallMillis(year, month, day, w.hour, w.minute, w.second, Math.floor(w.nano / 1_000_000));
  return { ...time, epochMs: instantOf(time.zone, wall) };
}

const DATE_PARAMS = ['format', 'existingFormat', 'timeZone', 'locale'] as const;
const TIMESTAMP_PARAMS = ['existingFormat', 'timeZone'] as const;

function timestampFilter(convert: (time: ZonedTime) => number | bigint, name: string): FilterDef {
  return {
    params: TIMESTAMP_PARAMS,
    apply: (input, args) =>
      input === null || input === undefined ? null : convert(read(input, args, `The filter '${name}'`)),
  };
}

export const DATE_FILTERS: Record<string, FilterDef> = {
  date: {
    params: DATE_PARAMS,
    apply: (input, args) => {
      if (input === null || input === undefined) return null;
      return format(read(input, args, "The filter 'date'"), args, "The filter 'date'");
    },
  },
  dateAdd: {
    params: ['amount', 'unit', ...DATE_PARAMS],
    apply: (input, args) => {
      const what = "The filter 'dateAdd'";
      if (input === null || input === undefined) return null;
      const amount = toInteger(requireArg(args, 'amount', what), what);
      const unit = toStringArg(requireArg(args, 'unit', what), what).toUpperCase();
      return format(addToDate(read(input, args, what), amount, unit), args, what);
    },
  },
  timestamp: timestampFilter((t) => Math.floor(t.epochMs / 1000), 'timestamp'),
  timestampMilli: timestampFilter((t) => t.epochMs, 'timestampMilli'),
  timestampMicro: timestampFilter(
    (t) => BigInt(t.epochMs) * 1_000n + BigInt(Math.floor(t.nanos / 1_000)),
    'timestampMicro',
  ),
  timestampNano: timestampFilter((t) => BigInt(t.epochMs) * 1_000_000n + BigInt(t.nanos), 'timestampNano'),
};

/** now(): the clock's time as an ISO-8601 string with milliseconds, in UTC unless `timeZone` is given. */
export function formatNow(now: Date, args: BoundArgs): string {
  const what = 'The function now()';
  const zoneText = optionalString(args, 'timeZone', what);
  const zone = zoneText === undefined ? UTC : parseZone(zoneText);
  return format({ epochMs: now.getTime(), nanos: 0, zone }, args, what);
}
