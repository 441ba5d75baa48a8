import { describe } from 'vitest';
import { runCases } from './test-cases.ts';

const context = {
  execution: { startDate: '2024-01-01T10:00:00.123Z' },
  precise: '2024-01-01T10:00:00.123456789Z',
  endOfJanuary: '2024-01-31T00:00:00Z',
  beforeDst: '2024-03-30T12:00:00+01:00[Europe/Paris]',
};

describe('date arithmetic and timestamps', () => {
  runCases([
    {
      title: 'subtracts a day',
      template: "{{ execution.startDate | dateAdd(-1, 'DAYS') }}",
      context,
      expected: '2023-12-31T10:00:00.123Z',
    },
    {
      title: 'adds hours and formats the result',
      template: "{{ execution.startDate | dateAdd(2, 'HOURS', format='HH:mm') }}",
      context,
      expected: '12:00',
    },
    {
      title: 'adds a month, clamping to the last day',
      template: "{{ endOfJanuary | dateAdd(1, 'MONTHS') }}",
      context,
      expected: '2024-02-29T00:00:00.000Z',
    },
    {
      title: 'adds a year',
      template: "{{ execution.startDate | dateAdd(1, 'YEARS', format='yyyy-MM-dd') }}",
      context,
      expected: '2025-01-01',
    },
    {
      title: 'keeps the wall clock when adding a day across a DST change',
      template: "{{ beforeDst | dateAdd(1, 'DAYS') }}",
      context,
      expected: '2024-03-31T12:00:00.000+02:00',
    },
    {
      title: 'adds exactly 24 hours across a DST change',
      template: "{{ beforeDst | dateAdd(24, 'HOURS') }}",
      context,
      expected: '2024-03-31T13:00:00.000+02:00',
    },
    {
      title: 'fails on an unknown unit',
      template: "{{ execution.startDate | dateAdd(1, 'FORTNIGHTS') }}",
      context,
      error: "Unknown time unit 'FORTNIGHTS'",
    },
    {
      title: 'converts to epoch seconds and milliseconds',
      template: '{{ execution.startDate | timestamp }} {{ execution.startDate | timestampMilli }}',
      context,
      expected: '1704103200 1704103200123',
    },
    {
      title: 'converts to epoch micro- and nanoseconds',
      template: '{{ precise | timestampMicro }} {{ precise | timestampNano }}',
      context,
      expected: '1704103200123456 1704103200123456789',
    },
    {
      title: 'prints now() from the injected clock',
      template: '{{ now() }}',
      expected: '2024-03-15T09:30:45.123Z',
    },
    {
      title: 'prints now() in a time zone',
      template: "{{ now(timeZone='Europe/Paris') }}",
      expected: '2024-03-15T10:30:45.123+01:00',
    },
    {
      title: 'formats now() with the date filter',
      template: "{{ now() | date('yyyy-MM-dd') }}",
      expected: '2024-03-15',
    },
    {
      title: 'falls back to a computed date with ??',
      template: "{{ trigger.date ?? (now() | dateAdd(-1, 'DAYS') | date('yyyy-MM-dd')) }}",
      expected: '2024-03-14',
    },
  ]);
});
