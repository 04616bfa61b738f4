// Reconciliation tells only the truth: a plan change or an end that billwerk replaced before it took effect
// is never published (with webhooks on, subscribers get exactly billwerk's webhooks; with webhooks lost,
// exactly one reconciled notice for the change that took effect), and a termination requested while
// webhooks were lost reaches subscribers as a reconciled ContractCancelled at the next sweep.
import { TerminateContractDocument } from '../../sdk/generated/graphql.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { iso } from '../../src/emulator/time.js';
import { bid } from '../helpers/ids.js';
import { newKey, signupNew } from '../helpers/mutations.js';
import {
  CONTRACT_EVENTS,
  keyOf,
  loggedFor,
  settle,
  sweep,
  tick,
  webhooksOff,
  webhooksOn,
  type Seen,
} from '../helpers/reconcile.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { subscribeLive, type Collector } from '../helpers/ws.js';

const { planVariants: pv } = SEED_IDS;

let stack: Stack;
let feed: Collector<Seen> & { close(): Promise<void> };
beforeAll(async () => {
  stack = await startStack({ env: { RECONCILE_INTERVAL_MS: '0', RECONCILE_GRACE_MS: '0' } });
  feed = await subscribeLive<Seen>(stack.graphqlUrl, stack.gateway.events.hub, CONTRACT_EVENTS);
  // The first sweep only sets where reconciliation starts.
  expect(await sweep(stack)).toMatchObject({ swept: true, appended: 0 });
});
afterAll(async () => {
  await feed.close();
  await stack.close();
});

const now = () => stack.emulator.clock.now().getTime();
const advanceTo = async (at: number) => {
  await stack.emulator.clock.advanceTo(new Date(at));
  await settle(stack);
};

/** A new Basic monthly contract, its signup delivered by webhook, one emulated second ago. */
async function newContract(): Promise<string> {
  const { contract } = await signupNew(stack.sdk);
  await settle(stack);
  await tick(stack);
  return contract.billwerkId;
}

/** A change order to `variant` dated `changeDate`, committed now; its ContractChange id. */
async function changePlan(contractId: string, variant: string, changeDate: number): Promise<string> {
  const order = await stack.billwerk.orders.create({
    ContractId: contractId,
    Cart: { PlanVariantId: variant },
    ChangeDate: iso(changeDate),
  });
  await stack.billwerk.orders.commit(bid(order.Id));
  return newestChange(contractId);
}

/** POST /contracts/{id}/end dated `endDate`; its EndContract change id. */
async function end(contractId: string, endDate: number): Promise<string> {
  await stack.billwerk.contracts.end(bid(contractId), iso(endDate));
  await settle(stack);
  return newestChange(contractId);
}

async function newestChange(contractId: string): Promise<string> {
  const [newest] = await stack.billwerk.contractChanges.list({ contractId: bid(contractId), take: 1 });
  return newest!.Id;
}

/** What subscribers got for a contract, once they got all the log published for it. */
async function fedFor(contractId: string): Promise<Seen['contractChanged'][]> {
  const count = (await loggedFor(stack, contractId)).length;
  const mine = (items: Seen[]) => items.filter((i) => i.contractChanged.contractId === contractId);
  return mine(await feed.waitUntil((items) => mine(items).length >= count)).map((i) => i.contractChanged);
}

interface Superseded {
  supersededChanges: { event: string; changeId: string; changeType: string; reason: string }[];
}
const SUPERSEDED = /* GraphQL */ `
  query Superseded($contractId: ID) {
    supersededChanges(contractId: $contractId) {
      event
      changeId
      changeType
      reason
    }
  }
`;
const supersededOf = async (contractId: string) =>
  (await stack.sdk.raw.request<Superseded>(SUPERSEDED, { contractId })).supersededChanges;

async function supersededCount(): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  const line = /^gateway_reconciliation_notices_total\{outcome="superseded"\} (\d+)$/m.exec(text);
  return Number(line?.[1]);
}

/** Plan change A dated +5 s, then 3 s later B dated +4.5 s (it replaces A), a sweep after each step. */
async function replacePlanChange(contractId: string): Promise<{ replaced: string; replacing: string }> {
  const start = now();
  const replaced = await changePlan(contractId, pv.proMonthly, start + 5000);
  await sweep(stack);
  await advanceTo(start + 3000);
  const replacing = await changePlan(contractId, pv.basicYearly, start + 4500);
  await sweep(stack);
  await advanceTo(start + 10_000);
  return { replaced, replacing };
}

/** An end dated +5 s, then, after a sweep saw it, another dated +9 s (billwerk deletes the first). */
async function replaceEnd(contractId: string): Promise<{ replaced: string; replacing: string }> {
  const start = now();
  const replaced = await end(contractId, start + 5000);
  await sweep(stack);
  await advanceTo(start + 3000);
  const replacing = await end(contractId, start + 9000);
  await sweep(stack);
  await advanceTo(start + 10_000);
  return { replaced, replacing };
}

/**
 * A new contract whose change is replaced (`replace`) while webhooks are lost, then a sweep with webhooks
 * back: one reconciled notice for the change that took effect, none for the replaced one. Resolves with
 * what subscribers got for the contract.
 */
async function replacedWhileLost(
  replace: (contractId: string) => Promise<{ replaced: string; replacing: string }>,
): Promise<string[]> {
  const contract = await newContract();
  await webhooksOff(stack);
  const { replaced, replacing } = await replace(contract);
  await webhooksOn(stack);
  expect(await sweep(stack)).toMatchObject({ appended: 1, superseded: 1 });
  const fed = await fedFor(contract);
  expect(fed.at(-1)?.changeId).toBe(replacing);
  expect(fed.map((e) => e.changeId)).not.toContain(replaced);
  return fed.map(keyOf);
}

describe('reconciliation of replaced changes', () => {
  it('publishes nothing for a replaced plan change while webhooks work', async () => {
    const contract = await newContract();
    const before = await supersededCount();
    const { replaced } = await replacePlanChange(contract);
    expect(await sweep(stack)).toMatchObject({ appended: 0, superseded: 1 });

    const billwerkSent = [
      'ContractCreated:Signup:WEBHOOK',
      'ContractChanged:Signup:WEBHOOK',
      'ContractChanged:Upgrade:WEBHOOK',
    ];
    expect(await loggedFor(stack, contract)).toEqual(billwerkSent);
    expect((await fedFor(contract)).map(keyOf)).toEqual(billwerkSent);
    expect(await supersededOf(contract)).toEqual([
      { event: 'ContractChanged', changeId: replaced, changeType: 'Upgrade', reason: 'REPLACED' },
    ]);
    expect(await supersededCount()).toBe(before + 1);
  });

  it('publishes nothing for a replaced end while webhooks work', async () => {
    const contract = await newContract();
    const { replaced, replacing } = await replaceEnd(contract);
    expect(await sweep(stack)).toMatchObject({ appended: 0, superseded: 1 });

    // billwerk's own: a ContractCancelled per request, the ContractChanged of the end that took effect.
    const billwerkSent = [
      'ContractCreated:Signup:WEBHOOK',
      'ContractChanged:Signup:WEBHOOK',
      'ContractCancelled:WEBHOOK',
      'ContractCancelled:WEBHOOK',
      'ContractChanged:EndContract:WEBHOOK',
    ];
    expect(await loggedFor(stack, contract)).toEqual(billwerkSent);
    const fed = await fedFor(contract);
    expect(fed.map(keyOf)).toEqual(billwerkSent);
    expect(fed.at(-1)?.changeId).toBe(replacing);
    expect(await supersededOf(contract)).toEqual([
      { event: 'ContractChanged', changeId: replaced, changeType: 'EndContract', reason: 'DELETED' },
    ]);
  });

  it('reconciles only the plan change that took effect when its webhooks were lost', async () => {
    expect(await replacedWhileLost(replacePlanChange)).toEqual([
      'ContractCreated:Signup:WEBHOOK',
      'ContractChanged:Signup:WEBHOOK',
      'ContractChanged:Upgrade:RECONCILED',
    ]);
  });

  it('reconciles each cancellation request and only the end that took effect when webhooks were lost', async () => {
    // Each sweep saw a request that was the contract's end at the time: billwerk sent ContractCancelled for both.
    expect(await replacedWhileLost(replaceEnd)).toEqual([
      'ContractCreated:Signup:WEBHOOK',
      'ContractChanged:Signup:WEBHOOK',
      'ContractCancelled:RECONCILED',
      'ContractCancelled:RECONCILED',
      'ContractChanged:EndContract:RECONCILED',
    ]);
    // A sweep after everything took effect adds nothing.
    expect(await sweep(stack)).toMatchObject({ appended: 0, superseded: 0 });
  });
});

describe('reconciliation of cancellations', () => {
  it('delivers a termination requested while webhooks were lost at the next sweep, its end later', async () => {
    const contract = await newContract();
    await webhooksOff(stack);
    const { terminateContract } = await stack.sdk.request(TerminateContractDocument, {
      input: { contractId: contract, idempotencyKey: newKey() },
    });
    await tick(stack);
    await webhooksOn(stack);
    const endDate = Date.parse(String(terminateContract.endDate));
    expect(endDate).toBeGreaterThan(now() + 7 * 24 * 60 * 60 * 1000);

    expect(await sweep(stack)).toMatchObject({ appended: 1 });
    expect((await fedFor(contract)).map(keyOf)).toEqual([
      'ContractCreated:Signup:WEBHOOK',
      'ContractChanged:Signup:WEBHOOK',
      'ContractCancelled:RECONCILED',
    ]);

    // At the end date billwerk sends ContractChanged (EndContract); reconciliation does not add a copy.
    await advanceTo(endDate + 1000);
    await sweep(stack);
    expect(await sweep(stack)).toMatchObject({ appended: 0 });
    expect((await fedFor(contract)).map(keyOf)).toEqual([
      'ContractCreated:Signup:WEBHOOK',
      'ContractChanged:Signup:WEBHOOK',
      'ContractCancelled:RECONCILED',
      'ContractChanged:EndContract:WEBHOOK',
    ]);
  });
});
