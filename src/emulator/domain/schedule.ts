// Time-driven lifecycle: trial ends, scheduled changes taking effect, contract ends, recurring billing.
// Due work is derived from the state itself, so there is no job list to keep in step with it.
import type { Contract, Id } from '../../billwerk/dto.js';
import { type PendingEffect, type State } from '../store.js';
import { ms } from '../time.js';
import { at, notifyContractChanged, type Ctx } from './context.js';
import { bill, billPeriod, componentLineKey } from './billing.js';
import { recordChange, refresh } from './contracts.js';

/** Order of work due at the same instant on one contract: recorded changes, then trial end, then billing. */
const enum Rank {
  Effect = 0,
  TrialEnd = 1,
  Billing = 2,
}

interface Due {
  at: number;
  rank: Rank;
  seq: number;
  contractId: Id;
  effect?: PendingEffect;
}

const before = (a: Due, b: Due): boolean =>
  a.at !== b.at ? a.at < b.at : a.rank !== b.rank ? a.rank < b.rank : a.seq < b.seq;

function contractDue(contract: Contract): Due | undefined {
  if (contract.LifecycleStatus === 'Ended') return undefined;
  if (contract.LifecycleStatus === 'InTrial' && contract.TrialEndDate) {
    return { at: ms(contract.TrialEndDate), rank: Rank.TrialEnd, seq: 0, contractId: contract.Id };
  }
  const next = contract.NextBillingDate ? ms(contract.NextBillingDate) : undefined;
  if (next === undefined || (contract.EndDate && next >= ms(contract.EndDate))) return undefined;
  return { at: next, rank: Rank.Billing, seq: 0, contractId: contract.Id };
}

function earliest(state: State, only?: Id): Due | undefined {
  let found: Due | undefined;
  for (const effect of state.pending.values()) {
    if (only !== undefined && effect.contractId !== only) continue;
    const due: Due = {
      at: effect.at,
      rank: Rank.Effect,
      seq: effect.seq,
      contractId: effect.contractId,
      effect,
    };
    if (!found || before(due, found)) found = due;
  }
  const contracts = only !== undefined ? [state.contracts.get(only)] : state.contracts.values();
  for (const contract of contracts) {
    const due = contract && contractDue(contract);
    if (due && (!found || before(due, found))) found = due;
  }
  return found;
}

/** Epoch ms of the earliest due work. */
export function nextDueAt(state: State): number | undefined {
  return earliest(state)?.at;
}

/**
 * Runs all work due at or before `until`, in time order, each at its due time but never before
 * `ctx.now` (work found overdue runs now). `only` restricts it to one contract (previews).
 */
export function runDue(ctx: Ctx, until: number, only?: Id): void {
  let floor = ctx.now;
  for (
    let due = earliest(ctx.state, only), guard = 0;
    due && due.at <= until;
    due = earliest(ctx.state, only)
  ) {
    if (++guard > 100_000) throw new Error('lifecycle made no progress');
    floor = Math.max(floor, due.at);
    const local = at(ctx, floor);
    const contract = ctx.state.contracts.get(due.contractId);
    if (due.effect) {
      ctx.state.pending.delete(due.effect.changeId);
      if (contract) applyEffect(local, contract, due.effect);
    } else if (contract && due.rank === Rank.TrialEnd) {
      endTrial(local, contract);
    } else if (contract) {
      recurringBilling(local, contract);
    }
  }
}

/** Trial over: the Normal phase begins (webhooks.md: Timebased covers "trial expiry" [inferred]). */
function endTrial(ctx: Ctx, contract: Contract): void {
  refresh(ctx, contract);
  if (contract.LifecycleStatus === 'InTrial') contract.TrialEndDate = null; // no Normal phase: stop looking
  const change = recordChange(ctx, contract, { Type: 'Timebased', ChangeDate: ctx.now });
  notifyContractChanged(ctx, contract, change);
}

/** Prepaid recurring billing at NextBillingDate for the next billing period (flows.md §8 for usage). */
function recurringBilling(ctx: Ctx, contract: Contract): void {
  refresh(ctx, contract);
  const date = ms(contract.NextBillingDate ?? '');
  billPeriod(ctx, contract, date, { usageUntil: date });
}

function applyEffect(ctx: Ctx, contract: Contract, effect: PendingEffect): void {
  const change = ctx.state.changes.get(effect.changeId);
  if (!change) return;
  refresh(ctx, contract);
  notifyContractChanged(ctx, contract, change);
  switch (effect.kind) {
    case 'order':
      if (effect.planChange) {
        // Billing periods realign to the new variant from ChangeDate (flows.md §4).
        billPeriod(ctx, contract, ms(change.ChangeDate), { usageUntil: ctx.now });
      } else if (effect.interim) {
        // TriggerInterimBilling: bill what the order added, and usage so far, now (flows.md §7, §8).
        bill(ctx, contract, { target: billedUntil(contract, ctx.now), usageUntil: ctx.now });
      }
      return;
    case 'component':
      if (effect.billSubscriptionId) {
        const only = componentLineKey(effect.billSubscriptionId);
        bill(ctx, contract, { target: billedUntil(contract, ctx.now), only });
      }
      return;
    case 'end':
      // The final settlement: credit what was prepaid past EndDate, bill usage up to it.
      bill(ctx, contract, { target: ms(contract.EndDate ?? change.ChangeDate), usageUntil: ctx.now });
      contract.NextBillingDate = null;
      return;
  }
}

const billedUntil = (contract: Contract, fallback: number): number =>
  contract.BilledUntil ? ms(contract.BilledUntil) : fallback;
