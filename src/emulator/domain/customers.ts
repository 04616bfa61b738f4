// Customers: creation (REST or inside a signup order), PUT replace, PATCH merge, soft delete.
// Field list from resources.md "Customers"; CustomerCreated/Changed/Deleted from webhooks.md.
import { z } from 'zod';
import type { Customer, CustomerInput, Id } from '../../billwerk/dto.js';
import { notFound, unprocessable } from '../errors.js';
import { customFields, mergePatch, pascal } from '../input.js';
import { type State } from '../store.js';
import { iso } from '../time.js';
import { notify, type Ctx } from './context.js';

const text = z.string().nullish();

const address = pascal({ Street: text, HouseNumber: text, PostalCode: text, City: text, Country: text });

/** Writable customer fields, keys matched case-insensitively; null clears a field. */
export const customerFields = pascal({
  ExternalCustomerId: text,
  DebitorAccount: text,
  CompanyName: text,
  FirstName: text,
  LastName: text,
  EmailAddress: text,
  PhoneNumber: text,
  VatId: text,
  Language: text,
  CustomerType: text,
  DefaultBearerMedium: text,
  Address: address.nullish(),
  CustomFields: customFields.nullish(),
  IsLocked: z.boolean().nullish(),
});

export type CustomerFields = z.output<typeof customerFields>;

/** Drops nulls: the DTO form of parsed fields. */
export function toCustomerInput(fields: CustomerFields): CustomerInput {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    out[key] = key === 'Address' ? stripNulls(value as Record<string, unknown>) : value;
  }
  return out;
}

function stripNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null && item !== undefined));
}

export function customerOf(state: State, id: Id): Customer {
  const customer = state.customers.get(id.toLowerCase());
  if (!customer) throw notFound('Customer', id);
  return customer;
}

/** billwerk shows the company, else first and last name, as CustomerName [inferred]. */
function withDerived(customer: Customer): Customer {
  const person = [customer.FirstName, customer.LastName].filter(Boolean).join(' ');
  customer.CustomerName = customer.CompanyName || person || customer.EmailAddress || '';
  return customer;
}

function assertUniqueExternalId(state: State, externalId: string | null | undefined, self?: Id): void {
  if (!externalId) return;
  for (const other of state.customers.values()) {
    if (other.ExternalCustomerId === externalId && other.Id !== self && !other.DeletedAt) {
      throw unprocessable(`ExternalCustomerId '${externalId}' is already used by customer '${other.Id}'`);
    }
  }
}

/** Creates a customer; `id` is set when an order allocated it earlier (flows.md §1). */
export function createCustomer(ctx: Ctx, input: CustomerInput, id?: Id): Customer {
  assertUniqueExternalId(ctx.state, input.ExternalCustomerId);
  ctx.state.seq.debitor += 1;
  const customer = withDerived({
    Language: 'de-DE',
    CustomerType: 'Consumer',
    DefaultBearerMedium: 'Email',
    DebitorAccount: String(10000 + ctx.state.seq.debitor),
    ...input,
    Id: id ?? ctx.ids.next(ctx.now),
    CreatedAt: iso(ctx.now),
    DeletedAt: null,
    Address: { ...(input.Address ?? {}) },
    CustomFields: { ...(input.CustomFields ?? {}) },
    IsLocked: input.IsLocked ?? false,
    IsDeletable: true,
  });
  ctx.state.customers.set(customer.Id, customer);
  notify(ctx, customer.Id, { Event: 'CustomerCreated', CustomerId: customer.Id });
  return customer;
}

const fixed = ['Id', 'CreatedAt', 'DeletedAt', 'IsDeletable', 'CustomerName', 'DebitorAccount'] as const;

/** PUT: the writable fields become exactly what was sent (resources.md "PUT replaces"). */
export function replaceCustomer(ctx: Ctx, customer: Customer, fields: CustomerFields): Customer {
  const input = toCustomerInput(fields);
  assertUniqueExternalId(ctx.state, input.ExternalCustomerId, customer.Id);
  const kept = Object.fromEntries(fixed.map((key) => [key, customer[key]]));
  const next = withDerived({
    ...kept,
    ...input,
    DebitorAccount: input.DebitorAccount ?? customer.DebitorAccount,
    Address: { ...(input.Address ?? {}) },
    CustomFields: { ...(input.CustomFields ?? {}) },
    IsLocked: input.IsLocked ?? false,
  } as Customer);
  return store(ctx, next);
}

/** PATCH: JSON merge patch (RFC 7386) of the writable fields (resources.md "PATCH merges"). */
export function patchCustomer(ctx: Ctx, customer: Customer, fields: CustomerFields): Customer {
  const merged = mergePatch(
    structuredClone(customer) as unknown as Record<string, unknown>,
    fields,
  ) as unknown as Customer;
  assertUniqueExternalId(ctx.state, merged.ExternalCustomerId, customer.Id);
  return store(ctx, withDerived(merged));
}

function store(ctx: Ctx, customer: Customer): Customer {
  ctx.state.customers.set(customer.Id, customer);
  notify(ctx, customer.Id, { Event: 'CustomerChanged', CustomerId: customer.Id });
  return customer;
}

/** Soft delete, allowed only without contracts (IsDeletable) [inferred]. */
export function deleteCustomer(ctx: Ctx, customer: Customer): void {
  if (!customer.IsDeletable)
    throw unprocessable(`Customer '${customer.Id}' has contracts and cannot be deleted`);
  customer.DeletedAt = iso(ctx.now);
  notify(ctx, customer.Id, { Event: 'CustomerDeleted', CustomerId: customer.Id });
}
