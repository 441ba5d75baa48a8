// ISO-8601 time values as Kestra reads them with java.time: durations (Duration.parse), instants
// (Instant.parse), dates (LocalDate.parse) and times (LocalTime.parse), with real calendar and clock checks.

/**
 * The textual form, for JSON Schema `pattern` (no regex flags there, hence the letter classes).
 * Like `Duration.parse`: case-insensitive, signs allowed, no years, months or weeks, at least one part.
 */
export const DURATION_PATTERN =
  '^[-+]?[Pp](?=[-+]?\\d|[Tt][-+]?\\d)(?:[-+]?\\d+[Dd])?' +
  '(?:[Tt](?=[-+]?\\d)(?:[-+]?\\d+[Hh])?(?:[-+]?\\d+[Mm])?(?:[-+]?\\d+(?:[.,]\\d{0,9})?[Ss])?)?$';

const DURATION_RE = new RegExp(DURATION_PATTERN);
const PARTS_RE =
  /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i;

const MS_PER = { day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1_000 } as const;

/** Milliseconds of an ISO-8601 duration such as `PT1M30S`, or undefined when the text is not one. */
export function parseIsoDuration(text: string): number | undefined {
  if (!DURATION_RE.test(text)) return undefined;
  const match = PARTS_RE.exec(text);
  if (!match) return undefined;
  const [, sign, days, hours, minutes, seconds, fraction] = match;
  const whole = (part: string | undefined) => (part === undefined ? 0 : Number.parseInt(part, 10));
  let ms =
    whole(days) * MS_PER.day +
    whole(hours) * MS_PER.hour +
    whole(minutes) * MS_PER.minute +
    whole(seconds) * MS_PER.second;
  if (fraction) {
    const fractionMs = Number(`0.${fraction}`) * MS_PER.second;
    ms += seconds?.startsWith('-') ? -fractionMs : fractionMs;
  }
  return sign === '-' ? -ms : ms;
}

export function isIsoDuration(text: string): boolean {
  return parseIsoDuration(text) !== undefined;
}

const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?$/;

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

function isClock(hour: number, minute: number, second: number): boolean {
  return hour < 24 && minute < 60 && second < 60;
}

const int = (text: string | undefined) => (text === undefined ? 0 : Number.parseInt(text, 10));

/** Epoch milliseconds of an ISO-8601 instant with a zone (`2024-05-01T10:00:00Z`), or undefined. */
export function parseInstant(text: string): number | undefined {
  const match = INSTANT_RE.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  if (!isCalendarDate(int(year), int(month), int(day))) return undefined;
  if (!isClock(int(hour), int(minute), int(second))) return undefined;
  const ms = Date.parse(
    `${year}-${month}-${day}T${hour}:${minute}:${second ?? '00'}${(fraction ?? '').slice(0, 4)}${zone}`,
  );
  return Number.isNaN(ms) ? undefined : ms;
}

/** An instant as Java prints it: UTC, milliseconds only when there are some. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Whether the text is an ISO-8601 calendar date (`2024-02-29`) that exists. */
export function isLocalDate(text: string): boolean {
  const match = DATE_RE.exec(text);
  return match !== null && isCalendarDate(int(match[1]), int(match[2]), int(match[3]));
}

/** Seconds since midnight of an ISO-8601 local time (`13:45`, `13:45:30.5`), or undefined. */
export function parseLocalTime(text: string): number | undefined {
  const match = TIME_RE.exec(text);
  if (!match) return undefined;
  const [, hour, minute, second, fraction] = match;
  if (!isClock(int(hour), int(minute), int(second))) return undefined;
  return int(hour) * 3600 + int(minute) * 60 + int(second) + (fraction ? Number(`0${fraction}`) : 0);
}
