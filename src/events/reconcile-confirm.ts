// Before reconciliation publishes a notice, billwerk's current state must show that the change behind it
// happened: billwerk keeps listing a plan change another one replaced before its date (it never takes
// effect, flows.md §4: ContractChanged is sent when a change takes effect), and deletes an end another end
// replaced. A notice the state does not bear out is dropped as superseded, never published.
import { type BillwerkClient } from '../billwerk/client.js';
import type { Contract, ContractChange } from '../billwerk/dto.js';
import { NotFoundError } from '../billwerk/errors.js';
import { type BillwerkId } from '../billwerk/id.js';
import { type Candidate, type SupersededReason } from './reconcile-state.js';

export type Verdict =
  | { kind: 'confirmed' }
  | { kind: 'superseded'; reason: SupersededReason }
  /** Its ChangeDate has not passed on billwerk's clock: it waits for a later sweep. */
  | { kind: 'notYet' }
  /** Only the change's Details can tell (billwerk lists changes without them). */
  | { kind: 'needsDetails' };

const CONFIRMED: Verdict = { kind: 'confirmed' };
const superseded = (reason: SupersededReason): Verdict => ({ kind: 'superseded', reason });

const at = (date: string | null | undefined): number | undefined => {
  const parsed = date ? Date.parse(date) : Number.NaN;
  return Number.isNaN(parsed) ? undefined : parsed;
};

/** Whether the contract has a phase of `variantId` starting exactly at `when`: what a plan change writes. */
const hasPhase = (contract: Contract, when: number, variantId: string): boolean =>
  contract.Phases.some(
    (phase) => at(phase.StartDate) === when && phase.PlanVariantId?.toLowerCase() === variantId.toLowerCase(),
  );

/**
 * Whether an order's Details name component or discount subscriptions it added or ended: such an order
 * still takes effect for those when its plan change was replaced (shape of Details [inferred], as the
 * emulator writes it: docs/emulator.md "Replaced changes").
 */
function touchesAddOns(details: Record<string, unknown>): boolean {
  return ['ComponentSubscriptionIds', 'EndedComponentSubscriptionIds', 'DiscountSubscriptionIds'].some(
    (field) => Array.isArray(details[field]) && (details[field] as unknown[]).length > 0,
  );
}

/**
 * Whether billwerk's current state bears out the notice `candidate` stands for. `change` and `contract`
 * are as billwerk answers now (undefined: 404); `detailed` says the change was read one by one, so
 * missing Details mean it has none.
 */
export function verdictOf(
  candidate: Candidate,
  change: ContractChange | undefined,
  contract: Contract | undefined,
  now: number,
  detailed = false,
): Verdict {
  if (!change) return superseded('deleted');
  if (!contract) return superseded('contractDeleted');
  const changeDate = at(change.ChangeDate);
  const endDate = at(contract.EndDate);
  const isTheEnd = endDate !== undefined && endDate === changeDate;
  // A signup is announced at commit (webhooks.md); the contract exists, so it happened.
  if (candidate.event === 'ContractCreated' || change.Type === 'Signup') return CONFIRMED;
  // A cancellation request is the contract's end while no later request replaced it [inferred: billwerk
  // deletes the replaced EndContract change, as the emulator does].
  if (candidate.event === 'ContractCancelled' || change.Type === 'Annulation') {
    return isTheEnd ? CONFIRMED : superseded('replaced');
  }
  if (changeDate !== undefined && changeDate > now) return { kind: 'notYet' };
  if (change.Type === 'EndContract') return isTheEnd ? CONFIRMED : superseded('replaced');
  // An end drops what was scheduled from its date on (flows.md §6) [inferred: the change stays listed].
  if (endDate !== undefined && changeDate !== undefined && changeDate >= endDate) {
    return superseded('replaced');
  }
  if (change.Type === 'Upgrade' && change.NewPlanVariantId && changeDate !== undefined) {
    if (hasPhase(contract, changeDate, change.NewPlanVariantId)) return CONFIRMED;
    if (change.Details === undefined && !detailed) return { kind: 'needsDetails' };
    return touchesAddOns(change.Details ?? {}) ? CONFIRMED : superseded('replaced');
  }
  // Other types leave no trace to check against [inferred]: it exists, is due, and no end dropped it.
  return CONFIRMED;
}

/** billwerk's current changes and contracts, each read at most once per sweep. */
export interface BillwerkView {
  change(id: BillwerkId): Promise<ContractChange | undefined>;
  /** The change read on its own, with the Details only that answer carries (resources.md). */
  detailedChange(id: BillwerkId): Promise<ContractChange | undefined>;
  contract(id: BillwerkId): Promise<Contract | undefined>;
}

/** undefined for a 404: the entity is gone. */
async function unlessGone<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * A view over what this sweep listed (each change with its contract, `includeContract`), reading the rest
 * (waiting changes from earlier sweeps) one by one.
 */
export function billwerkView(
  billwerk: Pick<BillwerkClient, 'contractChanges' | 'contracts'>,
  listed: ContractChange[],
): BillwerkView {
  const changes = new Map<string, Promise<ContractChange | undefined>>();
  const detailed = new Map<string, Promise<ContractChange | undefined>>();
  const contracts = new Map<string, Promise<Contract | undefined>>();
  for (const change of listed) {
    changes.set(change.Id.toLowerCase(), Promise.resolve(change));
    if (change.Contract) contracts.set(change.ContractId.toLowerCase(), Promise.resolve(change.Contract));
  }
  const once = <T>(cache: Map<string, Promise<T>>, id: string, read: () => Promise<T>): Promise<T> => {
    let found = cache.get(id);
    if (!found) cache.set(id, (found = read()));
    return found;
  };
  const readChange = (id: BillwerkId) => unlessGone(billwerk.contractChanges.get(id));
  return {
    change: (id) => once(changes, id, () => once(detailed, id, () => readChange(id))),
    detailedChange: (id) => once(detailed, id, () => readChange(id)),
    contract: (id) => once(contracts, id, () => unlessGone(billwerk.contracts.get(id))),
  };
}

/** The verdict on a candidate, reading what it needs from `view`. */
export async function confirm(candidate: Candidate, view: BillwerkView, now: number): Promise<Verdict> {
  const change = await view.change(candidate.changeId);
  const contract = change && (await view.contract(candidate.contractId));
  const verdict = verdictOf(candidate, change, contract, now);
  if (verdict.kind !== 'needsDetails') return verdict;
  return verdictOf(candidate, await view.detailedChange(candidate.changeId), contract, now, true);
}
