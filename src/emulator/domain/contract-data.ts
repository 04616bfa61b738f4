// Contract data edits (PUT/PATCH Notes, CustomFields, ExternalId) and contract deletion.
// Both are outside the lifecycle: they fire ContractDataChanged / ContractDeleted (webhooks.md).
import { z } from 'zod';
import type { Contract } from '../../billwerk/dto.js';
import { unprocessable } from '../errors.js';
import { customFields, mergePatch, pascal } from '../input.js';
import { notify, type Ctx } from './context.js';

export const contractDataFields = pascal({
  Notes: z.string().nullish(),
  CustomFields: customFields.nullish(),
  ExternalId: z.string().nullish(),
  // Listed so it is recognised in any casing and refused with a pointer to the right endpoint.
  EndDate: z.unknown().optional(),
});

export type ContractDataFields = z.output<typeof contractDataFields>;

/**
 * PUT replaces the data fields, PATCH merges them (RFC 7386). An EndDate here is refused [inferred]:
 * ending goes through POST /contracts/{id}/end, which applies the lifecycle rules.
 */
export function updateContractData(
  ctx: Ctx,
  contract: Contract,
  fields: ContractDataFields,
  merge: boolean,
): Contract {
  if (fields.EndDate !== undefined) {
    throw unprocessable('EndDate cannot be set here; use POST /contracts/{id}/end');
  }
  const { EndDate: _ignored, ...data } = fields;
  if (merge) {
    const patched = mergePatch(
      { Notes: contract.Notes, CustomFields: contract.CustomFields, ExternalId: contract.ExternalId },
      data,
    );
    contract.Notes = (patched.Notes as string | undefined) ?? null;
    contract.CustomFields = (patched.CustomFields as Contract['CustomFields']) ?? {};
    contract.ExternalId = (patched.ExternalId as string | undefined) ?? null;
  } else {
    contract.Notes = data.Notes ?? null;
    contract.CustomFields = data.CustomFields ?? {};
    contract.ExternalId = data.ExternalId ?? null;
  }
  notify(ctx, contract.CustomerId, {
    Event: 'ContractDataChanged',
    ContractId: contract.Id,
    CustomerId: contract.CustomerId,
  });
  return contract;
}

/** DELETE /contracts/{id}: only while IsDeletable (never invoiced) (resources.md "Contracts"). */
export function deleteContract(ctx: Ctx, contract: Contract): void {
  if (!contract.IsDeletable)
    throw unprocessable(`Contract '${contract.Id}' has been billed and cannot be deleted`);
  const { state } = ctx;
  state.contracts.delete(contract.Id);
  for (const [id, effect] of state.pending) if (effect.contractId === contract.Id) state.pending.delete(id);
  const customer = state.customers.get(contract.CustomerId);
  if (customer) {
    customer.IsDeletable = ![...state.contracts.values()].some((item) => item.CustomerId === customer.Id);
  }
  notify(ctx, contract.CustomerId, { Event: 'ContractDeleted', ContractId: contract.Id });
}
