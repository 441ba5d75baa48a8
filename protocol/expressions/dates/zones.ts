// Time zones for the date filters: fixed offsets and IANA regions (through Intl), the offset in force at an
// instant, and the conversion between an instant and the wall-clock fields seen in a zone.
import { FailureKind, fail } from '../errors.ts';

export type Zone = { kind: 'offset'; seconds: number } | { kind: 'region'; id: string };

export const UTC: Zone = { kind: 'offset', seconds: 0 };

/** An instant with nanosecond precision, and the zone it is shown in. */
export interface ZonedTime {
  /** milliseconds since the epoch, an integer */
  epochMs: number;
  /** nanoseconds beyond epochMs, 0..999_999 */
  nanos: number;
  zone: Zone;
}

/** Calendar and clock fields of a ZonedTime as seen in its zone. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** nanosecond of the second, 0..999_999_999 */
  nano: number;
  /** 0 = Sunday ... 6 = Saturday */
  weekday: number;
  offsetSeconds: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(id: string): Intl.DateTimeFormat {
  let formatter = formatters.get(id);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: id,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(id, formatter);
  }
  return formatter;
}

/** Parses a `timeZone` argument: an IANA id, `UTC`/`GMT`/`Z`, or an offset such as `+02:00`. */
export function parseZone(text: string): Zone {
  if (text === 'Z' || text === 'UTC' || text === 'GMT' || text === 'UT')
    return text === 'Z' ? UTC : { kind: 'region', id: 'UTC' };
  const offset = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(text);
  if (offset) {
    const seconds = Number(offset[2]) * 3600 + Number(offset[3] ?? 0) * 60 + Number(offset[4] ?? 0);
    if (seconds > 18 * 3600) fail(FailureKind.TYPE, `The time zone offset '${text}' is out of range`);
    return { kind: 'offset', seconds: offset[1] === '-' ? -seconds : seconds };
  }
  try {
    formatterFor(text);
  } catch {
    return fail(FailureKind.TYPE, `Unknown time zone '${text}'`);
  }
  return { kind: 'region', id: text };
}

export function offsetAt(zone: Zone, epochMs: number): number {
  if (zone.kind === 'offset') return zone.seconds;
  const parts = formatterFor(zone.id).formatToParts(new Date(epochMs));
  const field = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  let year = field('year');
  if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year;
  const wall = wallMillis(
    year,
    field('month'),
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
  return Math.round((wall - Math.floor(epochMs / 1000) * 1000) / 1000);
}

/** JavaScript dates reach ±8.64e15 ms (about ±275,000 years). */
const MAX_EPOCH_MS = 8.64e15;

export function checkInstant(epochMs: number): number {
  if (!Number.isFinite(epochMs) || Math.abs(epochMs) > MAX_EPOCH_MS) {
    fail(FailureKind.TYPE, 'The date is out of the supported range (about ±275,000 years)');
  }
  return epochMs;
}

export function wallTime(time: ZonedTime): WallTime {
  checkInstant(time.epochMs);
  const offsetSeconds = offsetAt(time.zone, time.epochMs);
  const shifted = new Date(time.epochMs + offsetSeconds * 1000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    nano: shifted.getUTCMilliseconds() * 1_000_000 + time.nanos,
    weekday: shifted.getUTCDay(),
    offsetSeconds,
  };
}

/** Milliseconds since the epoch of wall-clock fields (treated as UTC), valid for any year. */
export function wallMillis(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

/** The instant at which `zone` shows the given wall clock (wall given as UTC milliseconds). */
export function instantOf(zone: Zone, wallMs: number): number {
  if (zone.kind === 'offset') return wallMs - zone.seconds * 1000;
  let guess = wallMs - offsetAt(zone, wallMs) * 1000;
  guess = wallMs - offsetAt(zone, guess) * 1000;
  return guess;
}

/** Java's ZoneId text: `Z`, `+02:00`, or the region id. */
export function zoneId(zone: Zone): string {
  return zone.kind === 'region' ? zone.id : formatOffset(zone.seconds, true, 'Z');
}

/** `+01:00` / `+0100`; seconds are added only when non-zero; `zero` replaces a zero offset. */
export function formatOffset(seconds: number, colon: boolean, zero?: string): string {
  if (seconds === 0 && zero !== undefined) return zero;
  const sign = seconds < 0 ? '-' : '+';
  const abs = Math.abs(seconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  const ss = abs % 60;
  const sep = colon ? ':' : '';
  return `${sign}${hh}${sep}${mm}${ss ? sep + String(ss).padStart(2, '0') : ''}`;
}
