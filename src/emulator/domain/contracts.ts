// Contract state derived from phases, catalogue lookups, and the ContractChange record.
// Phases carry only a start and run until the next one begins (resources.md "Contract").
import type {
  Contract,
  ContractChange,
  ContractChangeType,
  ContractPhase,
  Id,
  Plan,
  PlanVariant,
} from '../../billwerk/dto.js';
import { notFound, unprocessable } from '../errors.js';
import { iso, ms } from '../time.js';
import { type Ctx } from './context.js';
import { type PendingEffect, type State } from '../store.js';

export function contractOf(state: State, id: Id): Contract {
  const contract = state.contracts.get(id.toLowerCase());
  if (!contract) throw notFound('Contract', id);
  return contract;
}

export function variantOf(state: State, id: Id | null | undefined): PlanVariant {
  const variant = id ? state.planVariants.get(id) : undefined;
  if (!variant) throw unprocessable(`Plan variant '${id ?? ''}' does not exist`);
  return variant;
}

export function planOf(state: State, variant: PlanVariant): Plan {
  const plan = state.plans.get(variant.PlanId);
  if (!plan) throw new Error(`catalogue broken: plan ${variant.PlanId} missing`);
  return plan;
}

/** Phase order: by start; at the same start an Inactive phase comes last (it ends the others). */
export function sortPhases(phases: ContractPhase[]): void {
  phases.sort((a, b) => ms(a.StartDate) - ms(b.StartDate) || rank(a) - rank(b));
}

const rank = (phase: ContractPhase): number => (phase.Type === 'Inactive' ? 1 : 0);

/** The phase in force at `when`: the last one started by then (the first one before the start). */
export function phaseAt(contract: Contract, when: number): ContractPhase | undefined {
  let found = contract.Phases[0];
  for (const phase of contract.Phases) if (ms(phase.StartDate) <= when) found = phase;
  return found;
}

/** The plan variant that applies at `when` (an Inactive phase keeps the variant before it). */
export function variantIdAt(contract: Contract, when: number): Id | undefined {
  let found: Id | undefined;
  for (const phase of contract.Phases) {
    if (phase.PlanVariantId && (found === undefined || ms(phase.StartDate) <= when))
      found = phase.PlanVariantId;
  }
  return found ?? contract.PlanVariantId;
}

/** Brings the derived fields (CurrentPhase, LifecycleStatus, plan ids) up to `ctx.now`. */
export function refresh(ctx: Ctx, contract: Contract): void {
  const current = phaseAt(contract, ctx.now);
  if (!current) return;
  contract.CurrentPhase = { ...current };
  contract.LifecycleStatus =
    current.Type === 'Inactive' ? 'Ended' : current.Type === 'Trial' ? 'InTrial' : 'Active';
  const variantId = variantIdAt(contract, ctx.now);
  if (variantId && variantId !== contract.PlanVariantId) {
    const variant = variantOf(ctx.state, variantId);
    contract.PlanVariantId = variant.Id;
    contract.PlanId = variant.PlanId;
    contract.PlanGroupId = variant.PlanGroupId;
  }
}

/**
 * Where the contract term counts from at `when`: the first Normal phase (after any trial), moved to
 * each later variant change unless that phase inherits the start date [inferred] (flows.md §4
 * "InheritStartDate: true keeps the term and notice periods counting from the original start").
 */
export function termAnchor(contract: Contract, when: number): number {
  let anchor: number | undefined;
  let variant: Id | null | undefined;
  for (const phase of contract.Phases) {
    if (phase.Type !== 'Normal' || ms(phase.StartDate) > when) continue;
    if (anchor === undefined || (phase.PlanVariantId !== variant && !phase.InheritStartDate)) {
      anchor = ms(phase.StartDate);
    }
    variant = phase.PlanVariantId;
  }
  return anchor ?? ms(contract.Phases[0]?.StartDate ?? contract.StartDate);
}

/** Where billing starts: the first Normal phase (trials are free). */
export function billingStart(contract: Contract): number {
  const normal = contract.Phases.find((phase) => phase.Type === 'Normal');
  return ms(normal?.StartDate ?? contract.StartDate);
}

export interface ChangeFields {
  Type: ContractChangeType;
  ChangeDate: number;
  OrderId?: Id;
  NewPlanVariantId?: Id;
  Details?: Record<string, unknown>;
}

/** Records a ContractChange (its Id is the webhook's ContractChangeId) at `ctx.now`. */
export function recordChange(ctx: Ctx, contract: Contract, fields: ChangeFields): ContractChange {
  const newVariant = fields.NewPlanVariantId ? variantOf(ctx.state, fields.NewPlanVariantId) : undefined;
  const change: ContractChange = {
    Id: ctx.ids.next(ctx.now),
    Type: fields.Type,
    Timestamp: iso(ctx.now),
    OrderId: fields.OrderId ?? null,
    ContractId: contract.Id,
    ChangeDate: iso(fields.ChangeDate),
    NewPlanVariantId: newVariant?.Id ?? null,
    NewPlanId: newVariant?.PlanId ?? null,
    ...(fields.Details ? { Details: fields.Details } : {}),
  };
  ctx.state.changes.set(change.Id, change);
  return change;
}

/** Schedules a recorded change to take effect at max(ChangeDate, now). */
export function scheduleEffect(
  ctx: Ctx,
  change: ContractChange,
  effect: Omit<PendingEffect, 'changeId' | 'contractId' | 'at' | 'seq'>,
): void {
  ctx.state.seq.effect += 1;
  ctx.state.pending.set(change.Id, {
    ...effect,
    changeId: change.Id,
    contractId: change.ContractId,
    at: Math.max(ms(change.ChangeDate), ctx.now),
    seq: ctx.state.seq.effect,
  });
}

/** Drops scheduled effects of a contract from `from` on (superseded by an end or annulation). */
export function dropPendingFrom(state: State, contractId: Id, from: number, keep?: Id): void {
  for (const [id, effect] of state.pending) {
    if (effect.contractId === contractId && effect.at >= from && id !== keep) state.pending.delete(id);
  }
}

/** Rejects changes to a contract that has ended. */
export function assertNotEnded(contract: Contract): void {
  if (contract.LifecycleStatus === 'Ended') throw unprocessable(`Contract '${contract.Id}' has ended`);
}
