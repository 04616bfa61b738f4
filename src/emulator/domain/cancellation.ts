// Ending contracts: cancellation preview from the variant's term and notice, POST end, annulation.
// Behaviour from flows.md §5 and §6 and resources.md "CancellationPreview".
import type { CancellationPreview, Contract } from '../../billwerk/dto.js';
import { unprocessable } from '../errors.js';
import { addPeriod, hasLength, iso, ms } from '../time.js';
import { notify, notifyContractChanged, type Ctx } from './context.js';
import { bill } from './billing.js';
import {
  assertNotEnded,
  dropPendingFrom,
  phaseAt,
  recordChange,
  refresh,
  scheduleEffect,
  sortPhases,
  termAnchor,
  variantIdAt,
  variantOf,
} from './contracts.js';
import { dryRunCtx, invoicePreview, invoicesAdded } from './dry-run.js';
import { runDue } from './schedule.js';

export interface CancellationTerms {
  /** The earliest regular end for a cancellation made at the given time. */
  endDate: number;
  /** Cancel by then to keep `endDate`. */
  nextPossible: number;
}

/**
 * Terms run from the term anchor in ContractPeriod steps, later ones in LaterContractPeriod steps
 * [inferred]; the end is the first term end whose notice deadline (end − CancellationPeriod) is not
 * yet past. No ContractPeriod: end = now + notice. During a trial: end at trial end [inferred].
 */
export function cancellationTerms(ctx: Ctx, contract: Contract, when: number): CancellationTerms {
  const variant = variantOf(ctx.state, variantIdAt(contract, when));
  if (phaseAt(contract, when)?.Type === 'Trial' && contract.TrialEndDate) {
    const trialEnd = ms(contract.TrialEndDate);
    return { endDate: trialEnd, nextPossible: trialEnd };
  }
  if (!hasLength(variant.ContractPeriod)) {
    const notice = variant.CancellationPeriod;
    return { endDate: hasLength(notice) ? addPeriod(when, notice) : when, nextPossible: when };
  }
  const first = addPeriod(termAnchor(contract, when), variant.ContractPeriod);
  const later = hasLength(variant.LaterContractPeriod) ? variant.LaterContractPeriod : variant.ContractPeriod;
  for (let index = 0; index < 100_000; index += 1) {
    const end = index === 0 ? first : addPeriod(first, later, index);
    const notice =
      index === 0
        ? variant.CancellationPeriod
        : (variant.LaterCancellationPeriod ?? variant.CancellationPeriod);
    const deadline = hasLength(notice) ? addPeriod(end, notice, -1) : end;
    if (deadline >= when) return { endDate: end, nextPossible: deadline };
  }
  throw new Error('no cancellation date found');
}

/**
 * Sets EndDate, ends the phases with a trailing Inactive phase and schedules the EndContract change
 * for EndDate (webhooks.md: ContractChanged at EndDate, type EndContract [inferred]).
 */
export function scheduleEnd(ctx: Ctx, contract: Contract, endDate: number): void {
  for (const [id, effect] of ctx.state.pending) {
    if (effect.contractId === contract.Id && effect.kind === 'end') {
      ctx.state.pending.delete(id);
      ctx.state.changes.delete(id); // a replaced end never took effect
    }
  }
  dropPendingFrom(ctx.state, contract.Id, endDate);
  contract.Phases = contract.Phases.filter(
    (phase) => phase.Type !== 'Inactive' && ms(phase.StartDate) < endDate,
  );
  contract.Phases.push({ Type: 'Inactive', StartDate: iso(endDate), PlanVariantId: null, PlanId: null });
  sortPhases(contract.Phases);
  contract.EndDate = iso(endDate);
  const change = recordChange(ctx, contract, { Type: 'EndContract', ChangeDate: endDate });
  scheduleEffect(ctx, change, { kind: 'end' });
}

/** What ending at `endDate` would bill, and the contract as it would look, from a dry run. */
function settlement(
  ctx: Ctx,
  contract: Contract,
  endDate: number,
): Pick<CancellationPreview, 'Invoice' | 'ContractAfter'> {
  const copy = dryRunCtx(ctx);
  const twin = copy.state.contracts.get(contract.Id);
  if (!twin) throw new Error('contract vanished from its copy');
  scheduleEnd(copy, twin, endDate);
  const after = structuredClone(twin);
  const effective = Math.max(endDate, ctx.now);
  runDue(copy, effective, contract.Id);
  const [invoice] = invoicesAdded(ctx, copy, contract.Id, iso(effective));
  return { Invoice: invoicePreview(invoice, contract.Currency), ContractAfter: after };
}

/** GET /contracts/{id}/cancellationPreview (flows.md §5). */
export function previewCancellation(ctx: Ctx, contract: Contract, when: number): CancellationPreview {
  assertNotEnded(contract);
  const terms = cancellationTerms(ctx, contract, when);
  return {
    EndDate: iso(terms.endDate),
    NextPossibleCancellationDate: iso(terms.nextPossible),
    CancellationDate: null,
    ...settlement(ctx, contract, terms.endDate),
  };
}

/**
 * POST /contracts/{id}/end: any EndDate after StartDate; the notice is not checked (flows.md §6).
 * ContractCancelled goes out now, ContractChanged (EndContract) at EndDate.
 */
export function endContract(ctx: Ctx, contract: Contract, endDate: number): CancellationPreview {
  assertNotEnded(contract);
  if (endDate <= ms(contract.StartDate)) throw unprocessable('EndDate must be after the contract StartDate');
  const terms = cancellationTerms(ctx, contract, ctx.now);
  const { Invoice } = settlement(ctx, contract, endDate);
  scheduleEnd(ctx, contract, endDate);
  notify(ctx, contract.CustomerId, {
    Event: 'ContractCancelled',
    ContractId: contract.Id,
    CustomerId: contract.CustomerId,
  });
  const preview: CancellationPreview = {
    EndDate: iso(endDate),
    NextPossibleCancellationDate: iso(terms.nextPossible),
    CancellationDate: iso(ctx.now),
    Invoice,
    ContractAfter: structuredClone(contract),
  };
  runDue(ctx, ctx.now, contract.Id);
  return preview;
}

/**
 * POST /contracts/{id}/annulate: the contract ends at its own start, as if it never ran; whatever
 * was billed is credited. Hooks [inferred]: ContractCancelled → ContractChanged (Annulation) →
 * InvoiceCreated (credit note).
 */
export function annulate(ctx: Ctx, contract: Contract): Contract {
  assertNotEnded(contract);
  const start = ms(contract.StartDate);
  dropPendingFrom(ctx.state, contract.Id, Number.NEGATIVE_INFINITY);
  contract.Phases = contract.Phases.filter(
    (phase) => phase.Type !== 'Inactive' && ms(phase.StartDate) <= start,
  );
  const inactive = { Type: 'Inactive', StartDate: iso(start), PlanVariantId: null, PlanId: null };
  contract.Phases.push(inactive);
  contract.EndDate = iso(start);
  const change = recordChange(ctx, contract, { Type: 'Annulation', ChangeDate: start });
  notify(ctx, contract.CustomerId, {
    Event: 'ContractCancelled',
    ContractId: contract.Id,
    CustomerId: contract.CustomerId,
  });
  refresh(ctx, contract);
  // A contract annulled before its start is ended too, although its start lies ahead.
  contract.LifecycleStatus = 'Ended';
  contract.CurrentPhase = { ...inactive };
  notifyContractChanged(ctx, contract, change);
  bill(ctx, contract, { target: start, startedBy: Number.POSITIVE_INFINITY });
  contract.NextBillingDate = null;
  return contract;
}
