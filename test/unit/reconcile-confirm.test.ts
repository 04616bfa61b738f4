// The rules reconciliation confirms a notice by, against billwerk's current state: a change replaced or
// deleted before it took effect is superseded, one still ahead waits, and only what billwerk shows is
// published. billwerk's answers are plain DTO literals here; the integration suites run the emulator.
import type { Contract, ContractChange } from '../../src/billwerk/dto.js';
import { candidatesOf, plan } from '../../src/events/reconcile-candidates.js';
import { verdictOf } from '../../src/events/reconcile-confirm.js';
import { type Candidate } from '../../src/events/reconcile-state.js';
import { fakeId } from '../helpers/ids.js';

const T = Date.parse('2026-01-15T10:00:00Z');
const at = (ms: number) => new Date(T + ms).toISOString();
const CONTRACT = fakeId(1);
const BASIC = fakeId(0x402);
const PRO = fakeId(0x404);

const contract = (fields: Partial<Contract> = {}): Contract => ({
  Id: CONTRACT,
  CustomerId: fakeId(2),
  Currency: 'EUR',
  LifecycleStatus: 'Active',
  StartDate: at(-86_400_000),
  Phases: [{ Type: 'Normal', StartDate: at(-86_400_000), PlanVariantId: BASIC }],
  ...fields,
});

const change = (n: number, fields: Partial<ContractChange>): ContractChange => ({
  Id: fakeId(0x100 + n),
  Type: 'Upgrade',
  Timestamp: at(0),
  ContractId: CONTRACT,
  ChangeDate: at(0),
  ...fields,
});

const candidate = (c: ContractChange): Candidate =>
  candidatesOf([c], [c], 0).find((x) => x.event === 'ContractChanged')!;

describe('confirming a reconciled notice', () => {
  it('publishes a plan change whose phase the contract shows, and drops one another change replaced', () => {
    const upgrade = change(1, { ChangeDate: at(5000), NewPlanVariantId: PRO });
    const withPhase = contract({
      Phases: [...contract().Phases, { Type: 'Normal', StartDate: at(5000), PlanVariantId: PRO }],
    });
    expect(verdictOf(candidate(upgrade), upgrade, withPhase, T + 6000)).toEqual({ kind: 'confirmed' });
    // The listing carries no Details: only the change read alone can say whether the order did more.
    expect(verdictOf(candidate(upgrade), upgrade, contract(), T + 6000)).toEqual({ kind: 'needsDetails' });
    const planOnly = { ...upgrade, Details: { ComponentSubscriptionIds: [] } };
    expect(verdictOf(candidate(upgrade), planOnly, contract(), T + 6000, true)).toEqual({
      kind: 'superseded',
      reason: 'replaced',
    });
    const withSeats = { ...upgrade, Details: { ComponentSubscriptionIds: [fakeId(9)] } };
    expect(verdictOf(candidate(upgrade), withSeats, contract(), T + 6000, true)).toEqual({
      kind: 'confirmed',
    });
  });

  it('waits for a change whose date has not come, and drops one an earlier end took with it', () => {
    const later = change(2, { Type: 'ComponentSubscriptionChange', ChangeDate: at(10_000) });
    expect(verdictOf(candidate(later), later, contract(), T + 5000)).toEqual({ kind: 'notYet' });
    const ended = contract({ EndDate: at(8000) });
    expect(verdictOf(candidate(later), later, ended, T + 20_000)).toEqual({
      kind: 'superseded',
      reason: 'replaced',
    });
  });

  it('publishes an end and its cancellation only while it is the contract end', () => {
    const end = change(3, { Type: 'EndContract', ChangeDate: at(9000) });
    const [cancelled, endChanged] = candidatesOf([end], [end], 0);
    expect(cancelled?.event).toBe('ContractCancelled');
    const current = contract({ EndDate: at(9000) });
    expect(verdictOf(cancelled!, end, current, T)).toEqual({ kind: 'confirmed' });
    expect(verdictOf(endChanged!, end, current, T + 9000)).toEqual({ kind: 'confirmed' });
    const moved = contract({ EndDate: at(12_000) });
    expect(verdictOf(cancelled!, end, moved, T).kind).toBe('superseded');
    expect(verdictOf(endChanged!, undefined, moved, T + 9000)).toEqual({
      kind: 'superseded',
      reason: 'deleted',
    });
  });

  it('sends no ContractCancelled for an end that came with the signup order', () => {
    const signup = change(4, { Type: 'Signup' });
    const end = change(5, { Type: 'EndContract', ChangeDate: at(86_400_000) });
    expect(candidatesOf([signup, end], [signup, end], 0).map((c) => `${c.event}:${c.changeType}`)).toEqual([
      'ContractCreated:Signup',
      'ContractChanged:Signup',
      'ContractChanged:EndContract',
    ]);
  });

  it("orders a contract's notices as billwerk sends them, merging changes of one instant", () => {
    const annul = change(6, { Type: 'Annulation', ChangeDate: at(-86_400_000) });
    const component = change(7, { Type: 'ComponentSubscriptionChange', Timestamp: at(1) });
    const both = candidatesOf([component, annul], [component, annul], 0).map((c) => ({ ...c, due: T }));
    expect(plan(both).map((c) => `${c.event}:${c.changeType}`)).toEqual([
      'ContractCancelled:Annulation',
      'ContractChanged:Annulation',
    ]);
  });
});
