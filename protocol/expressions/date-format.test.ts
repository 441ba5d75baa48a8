import { describe } from 'vitest';
import { runCases } from './test-cases.ts';

const context = {
  execution: { startDate: '2024-01-01T10:00:00.123Z' },
  precise: '2024-01-01T10:00:00.123456789Z',
  evening: '2024-01-01T22:05:09Z',
  paris: '2024-06-01T12:00:00+02:00',
  epoch: 0,
  leapDay: new Date(Date.UTC(2020, 1, 29)),
};

describe('date formatting with Java patterns', () => {
  runCases([
    {
      title: 'formats a date only',
      template: "{{ execution.startDate | date('yyyy-MM-dd') }}",
      context,
      expected: '2024-01-01',
    },
    {
      title: 'formats with milliseconds and a Z offset',
      template: '{{ execution.startDate | date("yyyy-MM-dd\'T\'HH:mm:ss.SSSXXX") }}',
      context,
      expected: '2024-01-01T10:00:00.123Z',
    },
    {
      title: 'defaults to ISO-8601 with milliseconds',
      template: '{{ execution.startDate | date }}',
      context,
      expected: '2024-01-01T10:00:00.123Z',
    },
    {
      title: 'prints day and month names',
      template: "{{ execution.startDate | date('EEE, d MMM yyyy / EEEE MMMM') }}",
      context,
      expected: 'Mon, 1 Jan 2024 / Monday January',
    },
    {
      title: 'prints a 12-hour clock with AM and PM',
      template: "{{ execution.startDate | date('h:mm a') }} {{ evening | date('hh:mm:ss a') }}",
      context,
      expected: '10:00 AM 10:05:09 PM',
    },
    {
      title: 'prints two-digit years, day of year, quarter and week',
      template: "{{ execution.startDate | date('yy D QQQ w') }}",
      context,
      expected: '24 1 Q1 1',
    },
    {
      title: 'uses US week-based years around new year',
      template: "{{ '2024-12-29' | date('YYYY-ww') }}",
      expected: '2025-01',
    },
    {
      title: 'prints microseconds and nanoseconds of the input',
      template: "{{ precise | date('SSSSSS') }} {{ precise | date('SSSSSSSSS') }}",
      context,
      expected: '123456 123456789',
    },
    {
      title: 'prints quoted literal text and escaped quotes',
      template: "{{ execution.startDate | date(\"'at' HH 'o''clock'\") }}",
      context,
      expected: "at 10 o'clock",
    },
    {
      title: 'converts to a time zone',
      template: "{{ execution.startDate | date('HH:mm', timeZone='Europe/Paris') }}",
      context,
      expected: '11:00',
    },
    {
      title: 'prints a negative offset with XXX',
      template: "{{ execution.startDate | date(\"yyyy-MM-dd'T'HH:mm:ssXXX\", timeZone='America/New_York') }}",
      context,
      expected: '2024-01-01T05:00:00-05:00',
    },
    {
      title: 'prints offsets with Z, x and O',
      template: "{{ execution.startDate | date('Z x O', timeZone='Asia/Kolkata') }}",
      context,
      expected: '+0530 +0530 GMT+5:30',
    },
    {
      title: 'prints short and long localized offsets with O',
      template: "{{ execution.startDate | date('O OOOO', timeZone='Europe/Paris') }}",
      context,
      expected: 'GMT+1 GMT+01:00',
    },
    {
      title: 'prints the zone id with VV',
      template: "{{ execution.startDate | date('VV', timeZone='Europe/Paris') }}",
      context,
      expected: 'Europe/Paris',
    },
    {
      title: 'keeps the offset written in the input',
      template: "{{ paris | date('HH:mm XXX') }}",
      context,
      expected: '12:00 +02:00',
    },
    {
      title: 'moves an offset input to the requested zone',
      template: "{{ paris | date('HH:mm', timeZone='UTC') }}",
      context,
      expected: '10:00',
    },
    {
      title: 'reads epoch milliseconds',
      template: "{{ epoch | date('yyyy-MM-dd HH:mm') }}",
      context,
      expected: '1970-01-01 00:00',
    },
    {
      title: 'reads a Date object',
      template: "{{ leapDay | date('dd.MM.yyyy') }}",
      context,
      expected: '29.02.2020',
    },
    {
      title: 'reads a string with existingFormat',
      template: "{{ 'July 24, 2001' | date('yyyy-MM-dd', existingFormat='MMMM dd, yyyy') }}",
      expected: '2001-07-24',
    },
    {
      title: 'reads a numeric string with existingFormat',
      template: "{{ '24/07/2001 13:45' | date(\"yyyy-MM-dd'T'HH:mm\", existingFormat='dd/MM/yyyy HH:mm') }}",
      expected: '2001-07-24T13:45',
    },
    {
      title: 'fails on a string that is not a date',
      template: "{{ 'not a date' | date('yyyy') }}",
      error: "Cannot read 'not a date' as a date",
    },
    {
      title: 'fails on an unknown pattern letter',
      template: "{{ execution.startDate | date('yyyy-bb') }}",
      context,
      error: "unknown letter 'b'",
    },
    {
      title: 'fails on an unknown time zone',
      template: "{{ execution.startDate | date('HH', timeZone='Mars/Olympus') }}",
      context,
      error: "Unknown time zone 'Mars/Olympus'",
    },
  ]);
});

describe('named date formats', () => {
  runCases([
    {
      title: 'formats iso with microseconds',
      template: "{{ execution.startDate | date('iso') }}",
      context,
      expected: '2024-01-01T10:00:00.123000Z',
    },
    {
      title: 'formats iso_milli and iso_sec',
      template: "{{ execution.startDate | date('iso_milli') }} {{ execution.startDate | date('iso_sec') }}",
      context,
      expected: '2024-01-01T10:00:00.123Z 2024-01-01T10:00:00Z',
    },
    {
      title: 'formats sql and sql_sec',
      template: "{{ execution.startDate | date('sql') }} / {{ execution.startDate | date('sql_sec') }}",
      context,
      expected: '2024-01-01 10:00:00.123000 / 2024-01-01 10:00:00',
    },
    {
      title: 'formats iso_local_date and iso_instant',
      template:
        "{{ execution.startDate | date('iso_local_date') }} {{ execution.startDate | date('iso_instant') }}",
      context,
      expected: '2024-01-01 2024-01-01T10:00:00.123Z',
    },
    {
      title: 'formats iso_zoned_date_time with the zone id',
      template: "{{ execution.startDate | date('iso_zoned_date_time', timeZone='Europe/Paris') }}",
      context,
      expected: '2024-01-01T11:00:00.123+01:00[Europe/Paris]',
    },
    {
      title: 'formats iso_week_date',
      template: "{{ execution.startDate | date('iso_week_date') }}",
      context,
      expected: '2024-W01-1Z',
    },
    {
      title: 'formats rfc_1123_date_time',
      template: "{{ execution.startDate | date('rfc_1123_date_time') }}",
      context,
      expected: 'Mon, 1 Jan 2024 10:00:00 GMT',
    },
  ]);
});
