// Emulator time helpers: billwerk's date format, lenient date parsing and calendar periods.
// Dates travel as ISO strings in the DTOs; lifecycle arithmetic works in epoch milliseconds.
import type { IsoDate, Period } from '../billwerk/dto.js';

const DAY_MS = 86_400_000;

/** billwerk writes ISO-8601 UTC with 7 fraction digits (README.md "Conventions"). */
export function iso(ms: number): IsoDate {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/**
 * Parses any ISO precision. A date-time without a zone is read as UTC [inferred], so results do not
 * depend on the machine's time zone.
 */
export function parseIso(text: string): number | undefined {
  const withZone = /T[\d:.]+$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

/** parseIso for an optional DTO date (validated on input, so a string here parses). */
export function optionalIso(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseIso(text);
}

/** Epoch ms of a stored DTO date (always valid: the emulator wrote it). */
export function ms(date: IsoDate): number {
  return Date.parse(date);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** Adds months, clamping the day (Jan 31 + 1 month = Feb 28/29) as calendars and billing systems do. */
function addMonths(from: number, months: number): number {
  const d = new Date(from);
  const total = d.getUTCMonth() + months;
  const year = d.getUTCFullYear() + Math.floor(total / 12);
  const month = ((total % 12) + 12) % 12;
  const day = Math.min(d.getUTCDate(), daysInMonth(year, month));
  return Date.UTC(
    year,
    month,
    day,
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

/** `from` plus `times` × `period`, computed from the anchor each time so month ends do not drift. */
export function addPeriod(from: number, period: Period, times = 1): number {
  const n = period.Quantity * times;
  switch (period.Unit) {
    case 'Minute':
      return from + n * 60_000;
    case 'Hour':
      return from + n * 3_600_000;
    case 'Day':
      return from + n * DAY_MS;
    case 'Week':
      return from + n * 7 * DAY_MS;
    case 'Month':
      return addMonths(from, n);
    case 'Year':
      return addMonths(from, 12 * n);
    default:
      throw new Error(`unknown period unit '${period.Unit}'`);
  }
}

/** True when the period has a length (billwerk uses Quantity 0, or no period, for "none"). */
export function hasLength(period: Period | null | undefined): period is Period {
  return !!period && period.Quantity > 0;
}

/**
 * How many `period`s fit into [from, to): whole periods counted on the calendar, the rest as a
 * fraction of the following period. Negative when `to` is before `from` (a credit).
 */
export function periodsBetween(from: number, to: number, period: Period): number {
  if (to < from) return -periodsBetween(to, from, period);
  if (!hasLength(period) || to === from) return 0;
  let whole = 0;
  while (addPeriod(from, period, whole + 1) <= to) whole += 1;
  const start = addPeriod(from, period, whole);
  const next = addPeriod(from, period, whole + 1);
  return whole + (to - start) / (next - start);
}
