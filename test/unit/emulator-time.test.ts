// Emulator date helpers: billwerk's 7-digit format, lenient parsing, calendar periods and proration.
import { addPeriod, iso, parseIso, periodsBetween } from '../../src/emulator/time.js';

const at = (text: string): number => Date.parse(text);
const month = { Unit: 'Month', Quantity: 1 };

describe('dates', () => {
  it('writes ISO-8601 UTC with seven fraction digits, as billwerk does', () => {
    expect(iso(at('2014-05-22T13:33:30.951Z'))).toBe('2014-05-22T13:33:30.9510000Z');
  });

  it('parses any precision, and a date-time without a zone as UTC', () => {
    expect(parseIso('2014-05-22T13:33:30.9510000Z')).toBe(at('2014-05-22T13:33:30.951Z'));
    expect(parseIso('2021-03-05T00:00:00')).toBe(at('2021-03-05T00:00:00Z'));
    expect(parseIso('2021-03-05')).toBe(at('2021-03-05T00:00:00Z'));
    expect(parseIso('not a date')).toBeUndefined();
  });
});

describe('periods', () => {
  it('adds months from the anchor, clamping the day without drifting', () => {
    const jan31 = at('2024-01-31T00:00:00Z');
    expect(iso(addPeriod(jan31, month))).toBe('2024-02-29T00:00:00.0000000Z');
    expect(iso(addPeriod(jan31, month, 2))).toBe('2024-03-31T00:00:00.0000000Z');
    expect(iso(addPeriod(at('2024-03-31T00:00:00Z'), month, -1))).toBe('2024-02-29T00:00:00.0000000Z');
    expect(iso(addPeriod(at('2024-02-29T00:00:00Z'), { Unit: 'Year', Quantity: 1 }))).toBe(
      '2025-02-28T00:00:00.0000000Z',
    );
    expect(addPeriod(0, { Unit: 'Week', Quantity: 2 })).toBe(14 * 86_400_000);
  });

  it('counts whole periods on the calendar and the rest as a fraction of the next one', () => {
    const start = at('2024-01-01T00:00:00Z');
    expect(periodsBetween(start, at('2025-01-01T00:00:00Z'), month)).toBe(12);
    expect(periodsBetween(start, at('2024-01-16T12:00:00Z'), month)).toBeCloseTo(15.5 / 31, 10);
    expect(periodsBetween(at('2024-01-16T12:00:00Z'), start, month)).toBeCloseTo(-15.5 / 31, 10);
    expect(periodsBetween(start, start, month)).toBe(0);
    expect(periodsBetween(start, at('2024-02-01T00:00:00Z'), { Unit: 'Month', Quantity: 0 })).toBe(0);
  });
});
