// The order request (OrderDTO, resources.md "Orders"), parsed from `unknown` into dto.ts's OrderInput.
// Keys match in any casing; dates of any precision come out as billwerk-format ISO strings.
import { z } from 'zod';
import type { OrderInput } from '../../billwerk/dto.js';
import { customFields, isoDate, objectId, parseBody, pascal } from '../input.js';
import { iso } from '../time.js';
import { customerFields, toCustomerInput } from './customers.js';

const text = z.string().nullish();
const date = isoDate.nullish();

const cart = pascal({
  PlanVariantId: objectId.nullish(),
  PlanId: objectId.nullish(),
  Quantity: z.number().positive().nullish(),
  InheritStartDate: z.boolean().nullish(),
  CouponCode: text,
  ComponentSubscriptions: z
    .array(pascal({ ComponentId: objectId, Quantity: z.number().nonnegative().nullish(), StartDate: date }))
    .nullish(),
  EndComponentSubscriptions: z.array(objectId).nullish(),
  MeteredUsages: z
    .array(pascal({ ComponentId: objectId, Quantity: z.number(), DueDate: date, Memo: text, Key: text }))
    .nullish(),
  DiscountSubscriptions: z.array(pascal({ DiscountId: objectId, StartDate: date })).nullish(),
});

const order = pascal({
  Customer: customerFields.nullish(),
  CustomerId: objectId.nullish(),
  ContractId: objectId.nullish(),
  StartDate: date,
  EndDate: date,
  BilledUntil: date,
  ChangeDate: date,
  TriggerInterimBilling: z.boolean().nullish(),
  PreviewAfterTrial: z.boolean().nullish(),
  ContractCustomFields: customFields.nullish(),
  CustomFields: customFields.nullish(),
  Cart: cart.nullish(),
});

const isoOrUndefined = (ms: number | null | undefined): string | undefined =>
  ms === null || ms === undefined ? undefined : iso(ms);

/** Removes undefined members, so stored orders serialise exactly like billwerk's optional fields. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

export function parseOrderInput(body: unknown): OrderInput {
  const input = parseBody(order, body);
  const c = input.Cart ?? {};
  return compact<OrderInput>({
    Customer: input.Customer ? toCustomerInput(input.Customer) : undefined,
    CustomerId: input.CustomerId ?? undefined,
    ContractId: input.ContractId ?? undefined,
    StartDate: isoOrUndefined(input.StartDate),
    EndDate: isoOrUndefined(input.EndDate),
    BilledUntil: isoOrUndefined(input.BilledUntil),
    ChangeDate: isoOrUndefined(input.ChangeDate),
    TriggerInterimBilling: input.TriggerInterimBilling ?? undefined,
    PreviewAfterTrial: input.PreviewAfterTrial ?? undefined,
    ContractCustomFields: input.ContractCustomFields ?? undefined,
    CustomFields: input.CustomFields ?? undefined,
    Cart: compact({
      PlanVariantId: c.PlanVariantId ?? undefined,
      PlanId: c.PlanId ?? undefined,
      Quantity: c.Quantity ?? undefined,
      InheritStartDate: c.InheritStartDate ?? undefined,
      CouponCode: c.CouponCode ?? undefined,
      ComponentSubscriptions: c.ComponentSubscriptions?.map((item) =>
        compact({
          ComponentId: item.ComponentId,
          Quantity: item.Quantity ?? 1,
          StartDate: isoOrUndefined(item.StartDate),
        }),
      ),
      EndComponentSubscriptions: c.EndComponentSubscriptions ?? undefined,
      MeteredUsages: c.MeteredUsages?.map((item) =>
        compact({
          ComponentId: item.ComponentId,
          Quantity: item.Quantity,
          DueDate: isoOrUndefined(item.DueDate),
          Memo: item.Memo ?? undefined,
          Key: item.Key ?? undefined,
        }),
      ),
      DiscountSubscriptions: c.DiscountSubscriptions?.map((item) =>
        compact({ DiscountId: item.DiscountId, StartDate: isoOrUndefined(item.StartDate) }),
      ),
    }),
  });
}
