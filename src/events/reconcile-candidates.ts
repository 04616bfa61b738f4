// Which notices billwerk sends for the contract changes it lists, and in what order, after
// ../shared/billwerk/webhooks.md: a Signup change is behind ContractCreated and the first ContractChanged;
// a request to end (EndContract) or annul (Annulation) sends ContractCancelled when it is recorded; every
// change sends ContractChanged when it takes effect (its ChangeDate, or when it was recorded if that is
// later); changes of one contract taking effect at the same instant are one ContractChanged.
import { type ContractChange } from '../billwerk/dto.js';
import { answeredId } from '../billwerk/id.js';
import { parseNotice, type ParsedNotice } from './notice.js';
import { type Candidate, type ReconciledEvent } from './reconcile-state.js';

/** Change types that request a termination, announced at once by ContractCancelled (webhooks.md). */
const TERMINATIONS = new Set(['EndContract', 'Annulation']);

/**
 * When a change takes effect. A signup is announced when committed, even for a later start
 * (webhooks.md); an annulation at once, although it dates the end back to the start [inferred].
 */
function effectiveAt(change: ContractChange, recorded: number): number {
  const effective = Date.parse(change.ChangeDate);
  if (change.Type === 'Signup' || change.Type === 'Annulation' || Number.isNaN(effective)) return recorded;
  return Math.max(recorded, effective);
}

/**
 * The notices `fresh` changes stand for. `listed` is everything this sweep read: an EndContract recorded
 * at the same instant as its contract's Signup came with the signup order (an order's EndDate), which
 * sends no ContractCancelled [inferred: billwerk only documents ContractCancelled for a cancellation].
 * `after` bounds, on the gateway's clock, when a webhook for a cancellation among them can have arrived.
 */
export function candidatesOf(fresh: ContractChange[], listed: ContractChange[], after: number): Candidate[] {
  const signups = new Set(
    listed.filter((c) => c.Type === 'Signup').map((c) => `${c.ContractId.toLowerCase()}@${c.Timestamp}`),
  );
  return fresh.flatMap((change): Candidate[] => {
    const recorded = Date.parse(change.Timestamp);
    const base = {
      changeId: answeredId(change.Id, 'ContractChange.Id'),
      changeType: change.Type,
      contractId: answeredId(change.ContractId, 'ContractChange.ContractId'),
      customerId: change.Contract ? answeredId(change.Contract.CustomerId, 'Contract.CustomerId') : undefined,
      recorded,
    };
    const changed: Candidate = { ...base, event: 'ContractChanged', due: effectiveAt(change, recorded) };
    if (change.Type === 'Signup') return [{ ...base, event: 'ContractCreated', due: recorded }, changed];
    const withSignup = signups.has(`${base.contractId}@${change.Timestamp}`);
    if (TERMINATIONS.has(change.Type) && !withSignup) {
      return [{ ...base, event: 'ContractCancelled', due: recorded, after }, changed];
    }
    return [changed];
  });
}

/** One key per notice a candidate stands for (a candidate found twice is one). */
export const candidateKey = (c: Candidate): string => `${c.event}:${c.changeId}`;

/** Order inside one contract and instant: ContractCreated, then ContractCancelled, then ContractChanged. */
const RANK: Record<ReconciledEvent, number> = {
  ContractCreated: 0,
  ContractCancelled: 1,
  ContractChanged: 2,
};

const byRecording = (a: Candidate, b: Candidate): number =>
  a.recorded - b.recorded || (a.changeId < b.changeId ? -1 : a.changeId > b.changeId ? 1 : 0);

function payloadOf(c: Candidate, entityId: string | undefined): Record<string, unknown> {
  if (c.event === 'ContractCancelled') {
    // billwerk's own shape (webhooks.md "ContractCancelled in detail"), so a late copy of the lost webhook
    // hashes to the same dedupe key.
    return {
      Event: c.event,
      ContractId: c.contractId,
      CustomerId: c.customerId,
      ...(entityId ? { EntityId: entityId } : {}),
    };
  }
  return {
    Event: c.event,
    ContractId: c.contractId,
    CustomerId: c.customerId,
    ContractChangeId: c.changeId,
    ContractChangeType: c.changeType,
  };
}

/** The notice a candidate stands for; `entityId` is billwerk's account id when known. */
export function noticeOf(c: Candidate, entityId?: string): ParsedNotice {
  const parsed = parseNotice(payloadOf(c, entityId));
  if (!parsed.ok) throw new Error(`reconciliation built an invalid notice: ${parsed.reason}`);
  return parsed.notice;
}

/**
 * Confirmed candidates as the notices billwerk sends, in its order per contract: by when they are due;
 * the ContractChanged candidates of one contract and instant merge into one notice carrying the signup
 * if there is one, else the first change recorded (the change a merged webhook carries is [inferred]).
 */
export function plan(confirmed: Candidate[]): Candidate[] {
  const merged = new Map<string, Candidate>();
  const single: Candidate[] = [];
  for (const c of [...confirmed].sort(byRecording)) {
    if (c.event !== 'ContractChanged') {
      single.push(c);
      continue;
    }
    const key = `${c.contractId}@${c.due}`;
    const kept = merged.get(key);
    if (!kept || (c.changeType === 'Signup' && kept.changeType !== 'Signup')) merged.set(key, c);
  }
  return [...single, ...merged.values()].sort(
    (a, b) => a.due - b.due || RANK[a.event] - RANK[b.event] || byRecording(a, b),
  );
}
