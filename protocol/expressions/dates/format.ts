// Formats a ZonedTime with a Java DateTimeFormatter pattern (English names, US week rules as on a default JVM)
// or one of Kestra's named formats (iso, iso_milli, sql, iso_date_time, rfc_1123_date_time, ...).
import { FailureKind, fail } from '../errors.ts';
import { parsePattern } from './pattern.ts';
import { formatOffset, type WallTime, wallMillis, wallTime, type ZonedTime, zoneId } from './zones.ts';

export const MONTHS =
  'January February March April May June July August September October November December'.split(' ');
export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_MS = 86_400_000;

/** The format the date filters use when none is given: ISO-8601 with milliseconds. */
export const DEFAULT_PATTERN = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

const NAMED_PATTERNS: Record<string, string> = {
  iso: "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
  iso_milli: DEFAULT_PATTERN,
  iso_sec: "yyyy-MM-dd'T'HH:mm:ssXXX",
  sql: 'yyyy-MM-dd HH:mm:ss.SSSSSS',
  sql_milli: 'yyyy-MM-dd HH:mm:ss.SSS',
  sql_sec: 'yyyy-MM-dd HH:mm:ss',
  sql_seq: 'yyyy-MM-dd HH:mm:ss',
  iso_local_date: 'yyyy-MM-dd',
  iso_date: 'yyyy-MM-ddXXX',
  iso_offset_date: 'yyyy-MM-ddXXX',
  iso_ordinal_date: 'yyyy-DDDXXX',
  basic_iso_date: 'yyyyMMddX',
  rfc_1123_date_time: 'EEE, d MMM yyyy HH:mm:ss',
};

const pad = (value: number, width: number): string =>
  value < 0 ? `-${String(-value).padStart(width, '0')}` : String(value).padStart(width, '0');

/** Java's ISO_LOCAL_TIME: seconds always, then the fraction without trailing zeros. */
function isoLocalTime(w: WallTime): string {
  const fraction = w.nano === 0 ? '' : `.${String(w.nano).padStart(9, '0').replace(/0+$/, '')}`;
  return `${pad(w.hour, 2)}:${pad(w.minute, 2)}:${pad(w.second, 2)}${fraction}`;
}

function isoLocalDate(w: WallTime): string {
  return `${pad(w.year, 4)}-${pad(w.month, 2)}-${pad(w.day, 2)}`;
}

function zoneSuffix(time: ZonedTime): string {
  return time.zone.kind === 'region' ? `[${time.zone.id}]` : '';
}

function formatNamed(name: string, time: ZonedTime): string | undefined {
  const w = wallTime(time);
  const offset = formatOffset(w.offsetSeconds, true, 'Z');
  switch (name) {
    case 'iso_local_time':
      return isoLocalTime(w);
    case 'iso_time':
    case 'iso_offset_time':
      return isoLocalTime(w) + offset;
    case 'iso_local_date_time':
      return `${isoLocalDate(w)}T${isoLocalTime(w)}`;
    case 'iso_offset_date_time':
      return `${isoLocalDate(w)}T${isoLocalTime(w)}${offset}`;
    case 'iso_date_time':
    case 'iso_zoned_date_time':
      return `${isoLocalDate(w)}T${isoLocalTime(w)}${offset}${zoneSuffix(time)}`;
    case 'iso_instant': {
      const u = wallTime({ ...time, zone: { kind: 'offset', seconds: 0 } });
      const digits = String(u.nano).padStart(9, '0');
      const fraction =
        u.nano === 0 ? '' : `.${digits.slice(0, u.nano % 1_000_000 === 0 ? 3 : u.nano % 1000 === 0 ? 6 : 9)}`;
      return `${isoLocalDate(u)}T${pad(u.hour, 2)}:${pad(u.minute, 2)}:${pad(u.second, 2)}${fraction}Z`;
    }
    case 'iso_week_date': {
      const { week, year } = isoWeek(w);
      return `${pad(year, 4)}-W${pad(week, 2)}-${w.weekday === 0 ? 7 : w.weekday}${offset}`;
    }
    case 'rfc_1123_date_time':
      return `${formatPattern(NAMED_PATTERNS.rfc_1123_date_time!, time)} ${w.offsetSeconds === 0 ? 'GMT' : formatOffset(w.offsetSeconds, false)}`;
    default:
      return undefined;
  }
}

/** Formats with a named format or a Java pattern. */
export function formatDate(time: ZonedTime, format: string): string {
  const named = formatNamed(format.toLowerCase(), time);
  if (named !== undefined) return named;
  return formatPattern(NAMED_PATTERNS[format.toLowerCase()] ?? format, time);
}

function dayOfYear(w: WallTime): number {
  return (wallMillis(w.year, w.month, w.day) - wallMillis(w.year, 1, 1)) / DAY_MS + 1;
}

/** Week of the week-based year for Locale.US: weeks start on Sunday, week 1 holds January 1st. */
function usWeek(w: WallTime): { week: number; year: number } {
  const doy = dayOfYear(w);
  const daysInYear = dayOfYear({ ...w, month: 12, day: 31 });
  if (doy + (6 - w.weekday) > daysInYear) return { week: 1, year: w.year + 1 };
  const jan1Weekday = (((w.weekday - (doy - 1)) % 7) + 7) % 7;
  return { week: Math.floor((doy - 1 + jan1Weekday) / 7) + 1, year: w.year };
}

/** ISO-8601 week: weeks start on Monday, week 1 holds the first Thursday. */
function isoWeek(w: WallTime): { week: number; year: number } {
  const isoDay = w.weekday === 0 ? 7 : w.weekday;
  const thursday = new Date(wallMillis(w.year, w.month, w.day) + (4 - isoDay) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const doy = (thursday.getTime() - wallMillis(year, 1, 1)) / DAY_MS + 1;
  return { week: Math.floor((doy - 1) / 7) + 1, year };
}

function zoneName(time: ZonedTime, long: boolean): string {
  if (time.zone.kind === 'offset') return zoneId(time.zone);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: time.zone.id,
    timeZoneName: long ? 'long' : 'short',
  }).formatToParts(new Date(time.epochMs));
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? time.zone.id;
}

function text(full: string, count: number): string {
  return count === 4 ? full : count === 5 ? full.charAt(0) : full.slice(0, 3);
}

function field(letter: string, count: number, w: WallTime, time: ZonedTime): string {
  const number = (value: number): string => pad(value, count);
  switch (letter) {
    case 'G':
      return count === 4
        ? w.year > 0
          ? 'Anno Domini'
          : 'Before Christ'
        : count === 5
          ? w.year > 0
            ? 'A'
            : 'B'
          : w.year > 0
            ? 'AD'
            : 'BC';
    case 'u':
    case 'y': {
      const year = letter === 'y' && w.year <= 0 ? 1 - w.year : w.year;
      return count === 2 ? pad(((year % 100) + 100) % 100, 2) : number(year);
    }
    case 'Y': {
      const year = usWeek(w).year;
      return count === 2 ? pad(year % 100, 2) : number(year);
    }
    case 'M':
    case 'L':
      return count <= 2 ? number(w.month) : text(MONTHS[w.month - 1]!, count);
    case 'd':
      return number(w.day);
    case 'D':
      return number(dayOfYear(w));
    case 'Q':
    case 'q': {
      const quarter = Math.ceil(w.month / 3);
      return count <= 2
        ? number(quarter)
        : count === 3
          ? `Q${quarter}`
          : `${['1st', '2nd', '3rd', '4th'][quarter - 1]} quarter`;
    }
    case 'w':
      return number(usWeek(w).week);
    case 'W':
      return number(Math.floor((w.day - 1 + ((((w.weekday - (w.day - 1)) % 7) + 7) % 7)) / 7) + 1);
    case 'F':
      return number(Math.floor((w.day - 1) / 7) + 1);
    case 'E':
      return text(WEEKDAYS[w.weekday]!, count);
    case 'e':
    case 'c':
      return count <= 2 ? number(w.weekday + 1) : text(WEEKDAYS[w.weekday]!, count);
    case 'a':
      return w.hour < 12 ? 'AM' : 'PM';
    case 'B':
      return w.hour < 6
        ? 'at night'
        : w.hour < 12
          ? 'in the morning'
          : w.hour < 18
            ? 'in the afternoon'
            : 'in the evening';
    case 'h':
      return number(w.hour % 12 === 0 ? 12 : w.hour % 12);
    case 'K':
      return number(w.hour % 12);
    case 'k':
      return number(w.hour === 0 ? 24 : w.hour);
    case 'H':
      return number(w.hour);
    case 'm':
      return number(w.minute);
    case 's':
      return number(w.second);
    case 'S':
      return String(w.nano).padStart(9, '0').padEnd(count, '0').slice(0, count);
    case 'A':
      return number(((w.hour * 60 + w.minute) * 60 + w.second) * 1000 + Math.floor(w.nano / 1_000_000));
    case 'n':
      return number(w.nano);
    case 'N':
      return number(((w.hour * 60 + w.minute) * 60 + w.second) * 1_000_000_000 + w.nano);
    case 'V':
      if (count !== 2) fail(FailureKind.TYPE, "The date pattern letter 'V' must be written 'VV'");
      return zoneId(time.zone);
    case 'v':
    case 'z':
      return zoneName(time, count >= 4);
    case 'O':
      if (w.offsetSeconds === 0) return 'GMT';
      if (count === 4) return `GMT${formatOffset(w.offsetSeconds, true)}`;
      return `GMT${formatOffset(w.offsetSeconds, true)
        .replace(/^([+-])0?(\d+)/, '$1$2')
        .replace(/:00$/, '')}`;
    case 'X':
    case 'x':
      return isoOffset(w.offsetSeconds, count, letter === 'X' ? 'Z' : undefined);
    case 'Z':
      if (count <= 3) return formatOffset(w.offsetSeconds, false);
      if (count === 4) return w.offsetSeconds === 0 ? 'GMT' : `GMT${formatOffset(w.offsetSeconds, true)}`;
      return formatOffset(w.offsetSeconds, true, 'Z');
    default:
      return fail(FailureKind.TYPE, `The date pattern letter '${letter}' is not supported`);
  }
}

/** X/x: 1 = +HH[mm], 2 = +HHmm, 3 = +HH:mm, 4 = +HHmm[ss], 5 = +HH:mm[:ss]; X prints Z for zero. */
function isoOffset(seconds: number, count: number, zero: string | undefined): string {
  if (seconds === 0 && zero !== undefined) return zero;
  const full = formatOffset(seconds, count === 3 || count === 5);
  if (count === 1) return full.endsWith('00') && full.length === 5 ? full.slice(0, 3) : full.slice(0, 5);
  return count <= 3 ? full.slice(0, count === 3 ? 6 : 5) : full;
}

export function formatPattern(pattern: string, time: ZonedTime): string {
  const w = wallTime(time);
  return parsePattern(pattern)
    .map((part) => ('literal' in part ? part.literal : field(part.letter, part.count, w, time)))
    .join('');
}
