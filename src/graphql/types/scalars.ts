// Scalars and small value types shared by the domain types: DateTime, JSON, Money, Period.
// billwerk's open-ended objects (custom fields) are the only place JSON is used.
import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { type IsoDate, type Period as PeriodDto } from '../../billwerk/dto.js';

export const DateTime = DateTimeResolver;
export const JSONObject = JSONObjectResolver;

/** billwerk dates (any fraction precision) as Date, or null when absent or unreadable. */
export function toDate(value: IsoDate | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** billwerk sometimes sends amounts as strings ("35.70"); read them leniently. */
export function toAmount(value: number | string | null | undefined): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : 0;
  }
  return 0;
}

@ObjectType({ description: 'An amount of money in a currency.' })
export class Money {
  @Field(() => Float, { description: 'The amount in the currency (not in minor units), e.g. 35.7.' })
  amount!: number;

  @Field(() => String, { description: 'ISO 4217 currency code, e.g. EUR.' })
  currency!: string;

  static of(amount: number | string | null | undefined, currency: string): Money {
    return Object.assign(new Money(), { amount: toAmount(amount), currency });
  }
}

export enum PeriodUnit {
  MINUTE = 'Minute',
  HOUR = 'Hour',
  DAY = 'Day',
  WEEK = 'Week',
  MONTH = 'Month',
  YEAR = 'Year',
}
registerEnumType(PeriodUnit, {
  name: 'PeriodUnit',
  description: 'Unit of a billing, contract or notice period.',
});

@ObjectType({ description: 'A span of time such as "1 month" or "14 days".' })
export class Period {
  @Field(() => PeriodUnit, { description: 'The unit.' })
  unit!: PeriodUnit;

  @Field(() => Int, { description: 'How many units.' })
  quantity!: number;

  static from(dto: PeriodDto | null | undefined): Period | null {
    if (!dto) return null;
    const unit = Object.values(PeriodUnit).find((u) => u.toLowerCase() === String(dto.Unit).toLowerCase());
    // A unit billwerk adds later cannot be expressed in the enum; omit the period rather than lie about it.
    if (!unit) return null;
    return Object.assign(new Period(), { unit, quantity: dto.Quantity });
  }
}

/** Maps an open billwerk string enum onto a GraphQL enum with an UNKNOWN member for values added later. */
export function openEnum<E extends Record<string, string>>(
  enumObject: E,
  value: string | null | undefined,
  unknown: E[keyof E],
): E[keyof E] {
  if (!value) return unknown;
  const lower = value.toLowerCase();
  const match = (Object.values(enumObject) as E[keyof E][]).find((v) => v.toLowerCase() === lower);
  return match ?? unknown;
}
