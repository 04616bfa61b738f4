// What every lifecycle operation runs with: the state, the emulated instant, ids, and an outbox.
// Notices collect in the outbox and reach the webhook sender only after the operation (or never, in a preview).
import type { ContractChange, Contract, Id, WebhookNotice } from '../../billwerk/dto.js';
import { type IdSource } from '../ids.js';
import { type State } from '../store.js';

/** A notice plus the queue it travels in (one queue per customer, see webhooks.ts). */
export interface Outgoing {
  key: string;
  notice: WebhookNotice;
}

export interface Ctx {
  state: State;
  /** The emulated instant this operation happens at, epoch ms. */
  now: number;
  ids: IdSource;
  outbox: Outgoing[];
}

/** The same operation at another instant, sharing state and outbox. */
export function at(ctx: Ctx, now: number): Ctx {
  return { ...ctx, now };
}

/** Queues a notice. Every event carries the account's EntityId (webhooks.md "Common fields"). */
export function notify(ctx: Ctx, customerId: Id, notice: WebhookNotice): void {
  ctx.outbox.push({ key: customerId, notice: { ...notice, EntityId: ctx.state.entityId } });
}

function contractIds(
  ctx: Ctx,
  contract: Contract,
): Pick<WebhookNotice, 'ContractId' | 'CustomerId' | 'ExternalCustomerId'> {
  return {
    ContractId: contract.Id,
    CustomerId: contract.CustomerId,
    ExternalCustomerId: ctx.state.customers.get(contract.CustomerId)?.ExternalCustomerId ?? null,
  };
}

/** ContractCreated in its v2 shape, carrying the Signup change (webhooks.md "Event catalogue"). */
export function notifyContractCreated(ctx: Ctx, contract: Contract, change: ContractChange): void {
  notify(ctx, contract.CustomerId, {
    Event: 'ContractCreated',
    ...contractIds(ctx, contract),
    ContractChangeId: change.Id,
    ContractChangeType: change.Type,
  });
}

/**
 * ContractChanged (v2), sent when `change` takes effect, at `ctx.now` (flows.md: "ContractChanged is
 * sent when a change takes effect"). Changes of one contract taking effect at the same instant merge
 * into one notice carrying the first of them (webhooks.md "One webhook per contract per point in time";
 * the type a merged notice carries is [inferred]). That is the only merge: `ctx.now` is always the
 * instant the change takes effect, because the clock runs scheduled work at its own due instant however
 * time was advanced (clock.ts), and a change replaced before its date is never applied.
 */
export function notifyContractChanged(ctx: Ctx, contract: Contract, change: ContractChange): void {
  if (ctx.state.lastChangedNotice.get(contract.Id) === ctx.now) return;
  ctx.state.lastChangedNotice.set(contract.Id, ctx.now);
  notify(ctx, contract.CustomerId, {
    Event: 'ContractChanged',
    ...contractIds(ctx, contract),
    ContractChangeId: change.Id,
    ContractChangeType: change.Type,
  });
}
