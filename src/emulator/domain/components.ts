// Add-ons of a contract: component subscriptions (via orders or direct) and metered usage.
// Behaviour from flows.md §7 and §8 and resources.md "Component subscriptions, usage, rated items".
import type {
  Component,
  ComponentSubscription,
  Contract,
  Id,
  MeteredUsage,
  MeteredUsageInput,
} from '../../billwerk/dto.js';
import { notFound, unprocessable } from '../errors.js';
import { type State } from '../store.js';
import { iso, ms } from '../time.js';
import { type Ctx } from './context.js';
import { componentLineKey, recurringLines } from './billing.js';
import { assertNotEnded, recordChange, scheduleEffect } from './contracts.js';
import { runDue } from './schedule.js';

/** A component of the plan group, of the wanted kind (metered or not), else 422. */
export function componentFor(state: State, planGroupId: Id | undefined, id: Id, metered: boolean): Component {
  const component = state.components.get(id);
  if (!component || component.PlanGroupId !== planGroupId) {
    throw unprocessable(`Component '${id}' does not exist in the plan group`);
  }
  if ((component.ComponentType === 'Metered') !== metered) {
    throw unprocessable(
      metered
        ? `Component '${id}' is not metered; usage can only be recorded for metered components`
        : `Component '${id}' is metered; record usage instead of subscribing to it`,
    );
  }
  return component;
}

export interface NewSubscription {
  ComponentId: Id;
  Quantity: number;
  StartDate: number;
  EndDate?: number;
  Memo?: string;
}

export function addSubscription(ctx: Ctx, contract: Contract, input: NewSubscription): ComponentSubscription {
  componentFor(ctx.state, contract.PlanGroupId, input.ComponentId, false);
  const subscription: ComponentSubscription = {
    Id: ctx.ids.next(ctx.now),
    ContractId: contract.Id,
    CustomerId: contract.CustomerId,
    ComponentId: input.ComponentId,
    Quantity: input.Quantity,
    StartDate: iso(input.StartDate),
    EndDate: input.EndDate === undefined ? null : iso(input.EndDate),
    BilledUntil: null,
    Memo: input.Memo ?? null,
  };
  ctx.state.componentSubscriptions.set(subscription.Id, subscription);
  return subscription;
}

/**
 * Ends subscriptions at `when`: a subscription id ends that one, a component id ends every running
 * subscription of that component on the contract (flows.md §7 "Change a quantity").
 */
export function endSubscriptions(ctx: Ctx, contract: Contract, ids: Id[], when: number): Id[] {
  const ended: Id[] = [];
  for (const id of ids) {
    const own = ctx.state.componentSubscriptions.get(id);
    const targets =
      own?.ContractId === contract.Id
        ? [own]
        : [...ctx.state.componentSubscriptions.values()].filter(
            (subscription) => subscription.ContractId === contract.Id && subscription.ComponentId === id,
          );
    if (targets.length === 0 && !ctx.state.components.has(id)) {
      throw unprocessable(`'${id}' is neither a component subscription of this contract nor a component id`);
    }
    for (const subscription of targets) {
      if (subscription.EndDate && ms(subscription.EndDate) <= when) continue;
      subscription.EndDate = iso(Math.max(when, ms(subscription.StartDate)));
      ended.push(subscription.Id);
    }
  }
  return ended;
}

/** Direct POST /contracts/{id}/componentsubscriptions (flows.md §7 "Direct endpoints"). */
export function subscribeDirectly(
  ctx: Ctx,
  contract: Contract,
  input: Omit<NewSubscription, 'StartDate'> & { StartDate?: number; BilledUntil?: number },
): ComponentSubscription {
  assertNotEnded(contract);
  const start = input.StartDate ?? ctx.now;
  if (start < ms(contract.StartDate)) throw unprocessable('StartDate must not be before the contract start');
  if (input.EndDate !== undefined && input.EndDate <= start)
    throw unprocessable('EndDate must be after StartDate');
  const subscription = addSubscription(ctx, contract, { ...input, StartDate: start });
  if (input.BilledUntil !== undefined) markBilled(ctx.state, contract, subscription, input.BilledUntil);
  const change = recordChange(ctx, contract, {
    Type: 'ComponentSubscriptionChange',
    ChangeDate: start,
    Details: {
      ComponentSubscriptionId: subscription.Id,
      ComponentId: subscription.ComponentId,
      Action: 'Added',
    },
  });
  // Empty BilledUntil = bill now, i.e. when the subscription starts [inferred for a future start].
  scheduleEffect(ctx, change, {
    kind: 'component',
    ...(input.BilledUntil === undefined ? { billSubscriptionId: subscription.Id } : {}),
  });
  runDue(ctx, ctx.now, contract.Id);
  return subscription;
}

/** BilledUntil given: the caller settled the subscription until then itself. */
function markBilled(
  state: State,
  contract: Contract,
  subscription: ComponentSubscription,
  until: number,
): void {
  const line = recurringLines(state, contract).find((item) => item.key === componentLineKey(subscription.Id));
  if (line) state.coverage.set(line.key, { line, until: Math.max(line.start, until) });
  subscription.BilledUntil = iso(until);
}

/** PUT /componentsubscriptions/{id} with an EndDate ends it (flows.md §7); the credit comes with the next bill. */
export function endDirectly(
  ctx: Ctx,
  subscription: ComponentSubscription,
  endDate: number,
): ComponentSubscription {
  const contract = ctx.state.contracts.get(subscription.ContractId);
  if (!contract) throw notFound('Contract', subscription.ContractId);
  assertNotEnded(contract);
  if (endDate < ms(subscription.StartDate)) throw unprocessable('EndDate must not be before StartDate');
  subscription.EndDate = iso(endDate);
  const change = recordChange(ctx, contract, {
    Type: 'ComponentSubscriptionChange',
    ChangeDate: endDate,
    Details: {
      ComponentSubscriptionId: subscription.Id,
      ComponentId: subscription.ComponentId,
      Action: 'Ended',
    },
  });
  scheduleEffect(ctx, change, { kind: 'component' });
  runDue(ctx, ctx.now, contract.Id);
  return subscription;
}

/**
 * Records metered usage (POST /contracts/{id}/usage or Cart.MeteredUsages). A repeated Key returns
 * the entry already recorded [inferred]: billwerk calls Key "the caller's dedupe key".
 */
export function recordUsage(ctx: Ctx, contract: Contract, input: MeteredUsageInput): MeteredUsage {
  componentFor(ctx.state, contract.PlanGroupId, input.ComponentId, true);
  if (input.Key) {
    for (const usage of ctx.state.usages.values()) {
      if (usage.ContractId === contract.Id && usage.Key === input.Key) return usage;
    }
  }
  const usage: MeteredUsage = {
    Id: ctx.ids.next(ctx.now),
    ContractId: contract.Id,
    ComponentId: input.ComponentId,
    Quantity: input.Quantity,
    DueDate: input.DueDate ?? iso(ctx.now),
    Memo: input.Memo ?? null,
    Key: input.Key ?? null,
    TransferredAt: iso(ctx.now),
    BilledOn: null,
    BilledInvoiceId: null,
  };
  ctx.state.usages.set(usage.Id, usage);
  return usage;
}

/** DELETE /contracts/{id}/usage/{usageId}: unbilled entries only (flows.md §8). */
export function deleteUsage(state: State, contract: Contract, usageId: Id): void {
  const usage = state.usages.get(usageId.toLowerCase());
  if (!usage || usage.ContractId !== contract.Id) throw notFound('MeteredUsage', usageId);
  if (usage.BilledOn) throw unprocessable(`Usage '${usage.Id}' is already billed and cannot be deleted`);
  state.usages.delete(usage.Id);
}
