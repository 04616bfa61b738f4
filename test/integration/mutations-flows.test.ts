// Every billwerk flow (flows.md §1–9) through the gateway's mutations: the generated SDK → the gateway over
// HTTP → the emulator over HTTP. Each flow previews, commits, then reads the result back with a query.
import { SEED_IDS } from '../../src/emulator/seed.js';
import {
  AnnulContractDocument,
  ChangeComponentSubscriptionsDocument,
  ChangePlanDocument,
  ContractDocument,
  ContractUsageDocument,
  CustomerDocument,
  PreviewComponentSubscriptionChangeDocument,
  PreviewPlanChangeDocument,
  PreviewSignupDocument,
  PreviewTerminationDocument,
  ReportUsageDocument,
  SignupDocument,
  TerminateContractDocument,
  TerminateContractWithoutNoticeDocument,
  createGatewayClient,
  type GatewayClient,
} from '../../sdk/client.js';
import { DAY, errorOf, newKey, signupNew } from '../helpers/mutations.js';
import { apiKey } from '../helpers/auth.js';
import { startStack, type Stack } from '../helpers/stack.js';

const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
const READONLY_KEY = 'test-readonly-key-0123456789abcdef';
const PARTNER_KEY = 'test-partner-key-0123456789abcdef';
const pv = SEED_IDS.planVariants;
const comp = SEED_IDS.components;

let stack: Stack;
let admin: GatewayClient;
beforeAll(async () => {
  stack = await startStack({
    env: {
      GATEWAY_ADMIN_KEY: ADMIN_KEY,
      API_KEYS: JSON.stringify([
        apiKey(READONLY_KEY, { id: 'readonly', role: 'readonly' }),
        apiKey(PARTNER_KEY, { id: 'partner', role: 'partner' }),
      ]),
    },
  });
  admin = createGatewayClient({ url: stack.graphqlUrl, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
});
afterAll(() => stack.close());

const now = () => stack.emulator.clock.now().getTime();
const iso = (ms: number) => new Date(ms).toISOString();
const readContract = async (id: string) => (await stack.sdk.request(ContractDocument, { id })).contract!;
const posts = (path: RegExp) => stack.emulator.requests.count({ method: 'POST', path });

describe('1–2. signup', () => {
  it('previews a new customer signup without storing anything, then signs up with the previewed prices', async () => {
    const ordersBefore = stack.emulator.store.orders.size;
    const input = {
      customer: {
        firstName: 'Ada',
        lastName: 'Lovelace',
        emailAddress: 'ada.l@example.com',
        address: { country: 'de' },
      },
      planVariantId: pv.basicMonthly,
      components: [{ componentId: comp.seats, quantity: 3 }],
    };
    const { previewSignup } = await stack.sdk.request(PreviewSignupDocument, { input });
    expect(previewSignup).toMatchObject({ orderType: 'SIGNUP', currency: 'EUR', isTrial: false });
    expect(previewSignup.totalNet.amount).toBeGreaterThan(0);
    expect(previewSignup.lineItems.map((item) => item.description)).toContain('Basic monthly');
    expect(stack.emulator.store.orders.size).toBe(ordersBefore);

    const { signup } = await stack.sdk.request(SignupDocument, {
      input: { ...input, idempotencyKey: newKey() },
    });
    expect(signup.replayed).toBe(false);
    expect(signup.order).toMatchObject({ status: 'COMPLETED', orderType: 'SIGNUP' });
    expect(signup.order.totalNet).toEqual(previewSignup.totalNet);
    expect(signup.customer).toMatchObject({ displayName: 'Ada Lovelace', emailAddress: 'ada.l@example.com' });
    expect(signup.contract.status).toBe('ACTIVE');

    const contract = await readContract(signup.contract.billwerkId);
    expect(contract.customer?.billwerkId).toBe(signup.customer.billwerkId);
    expect(contract.planVariant?.billwerkId).toBe(pv.basicMonthly);
    expect(contract.componentSubscriptions.map((s) => [s.component?.id, s.quantity])).toEqual([
      [`gid://billwerk/Component/${comp.seats}`, 3],
    ]);
    expect(contract.invoices.edges).toHaveLength(1);
  });

  it('signs an existing customer up; the customer then lists the new contract', async () => {
    const before = await stack.sdk.request(CustomerDocument, { id: SEED_IDS.customers.ada });
    const { signup } = await stack.sdk.request(SignupDocument, {
      input: { customerId: SEED_IDS.customers.ada, planVariantId: pv.proMonthly, idempotencyKey: newKey() },
    });
    expect(signup.customer.billwerkId).toBe(SEED_IDS.customers.ada);
    expect(signup.contract.status).toBe('IN_TRIAL');
    const after = await stack.sdk.request(CustomerDocument, { id: SEED_IDS.customers.ada });
    expect(after.customer!.contracts.map((c) => c.billwerkId)).toEqual(
      expect.arrayContaining([
        ...before.customer!.contracts.map((c) => c.billwerkId),
        signup.contract.billwerkId,
      ]),
    );
  });

  it('refuses bad input before any billwerk write, naming the field', async () => {
    const base = { planVariantId: pv.basicMonthly, idempotencyKey: newKey() };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, customerId: 'nope' }, 'customerId'],
      [{ ...base, customerId: SEED_IDS.customers.ada, customer: { lastName: 'X' } }, 'customerId'],
      [{ ...base, customerId: SEED_IDS.customers.ada, startDate: iso(now() - DAY) }, 'startDate'],
      [
        {
          ...base,
          customerId: SEED_IDS.customers.ada,
          components: [{ componentId: comp.seats, quantity: 0 }],
        },
        'components[0].quantity',
      ],
      [
        {
          ...base,
          customerId: SEED_IDS.customers.ada,
          components: [{ componentId: comp.apiCalls, quantity: 1 }],
        },
        'components[0].componentId',
      ],
      [
        { ...base, customerId: SEED_IDS.customers.ada, planVariantId: 'ffffffffffffffffffffffff' },
        'planVariantId',
      ],
      [{ ...base, customer: { lastName: 'X', emailAddress: 'not-an-email' } }, 'customer.emailAddress'],
    ];
    const ordersBefore = posts(/^\/api\/v1\/orders$/i);
    for (const [input, field] of cases) {
      const error = await errorOf(stack.sdk.request(SignupDocument, { input: input as never }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(posts(/^\/api\/v1\/orders$/i)).toBe(ordersBefore);
  });
});

describe('3. future contract without invoicing, upgraded at its change date', () => {
  it('starts free later, upgrades at the start, and bills only when the change date arrives', async () => {
    const start = now() + 10 * DAY;
    const { contract: free } = await signupNew(stack.sdk, { planVariantId: pv.free, startDate: iso(start) });
    expect(free.startDate).toBe(iso(start));
    expect((await readContract(free.billwerkId)).invoices.edges).toHaveLength(0);

    const early = await errorOf(
      stack.sdk.request(ChangePlanDocument, {
        input: {
          contractId: free.billwerkId,
          planVariantId: pv.basicMonthly,
          changeDate: iso(start - DAY),
          idempotencyKey: newKey(),
        },
      }),
    );
    expect(early.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'changeDate' });

    const change = { contractId: free.billwerkId, planVariantId: pv.basicMonthly, changeDate: iso(start) };
    const { previewPlanChange } = await stack.sdk.request(PreviewPlanChangeDocument, { input: change });
    expect(previewPlanChange).toMatchObject({ orderType: 'UPGRADE', changeDate: iso(start) });
    expect(previewPlanChange.totalNet.amount).toBe(9);
    const { changePlan } = await stack.sdk.request(ChangePlanDocument, {
      input: { ...change, idempotencyKey: newKey() },
    });
    expect(changePlan.order.status).toBe('COMPLETED');
    expect(changePlan.contract.phases.at(-1)).toMatchObject({
      startDate: iso(start),
      planVariant: { billwerkId: pv.basicMonthly },
    });

    await stack.emulator.clock.advanceTo(new Date(start - 1));
    expect((await readContract(free.billwerkId)).invoices.edges).toHaveLength(0);
    await stack.emulator.clock.advanceTo(new Date(start));
    // The change took effect inside billwerk: its webhook, not a mutation, tells the gateway's caches.
    await stack.emulator.webhooks.idle();
    await stack.gateway.events.pipeline.idle();
    const upgraded = await readContract(free.billwerkId);
    expect(upgraded.planVariant?.billwerkId).toBe(pv.basicMonthly);
    expect(upgraded.invoices.edges.map((e) => e.node.totalGross.amount)).toEqual([
      previewPlanChange.totalGross.amount,
    ]);
  });
});

describe('4. up- and downgrade', () => {
  it('upgrades now as previewed, downgrades at a later date, and refuses the variant already booked', async () => {
    const { contract } = await signupNew(stack.sdk);
    const upgrade = { contractId: contract.id, planVariantId: pv.proMonthly };
    const { previewPlanChange } = await stack.sdk.request(PreviewPlanChangeDocument, { input: upgrade });
    expect(previewPlanChange.orderType).toBe('UPGRADE');
    const { changePlan } = await stack.sdk.request(ChangePlanDocument, {
      input: { ...upgrade, idempotencyKey: newKey() },
    });
    expect(changePlan.order.totalNet).toEqual(previewPlanChange.totalNet);
    expect((await readContract(contract.billwerkId)).planVariant?.billwerkId).toBe(pv.proMonthly);

    const same = await errorOf(
      stack.sdk.request(ChangePlanDocument, { input: { ...upgrade, idempotencyKey: newKey() } }),
    );
    expect(same.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'planVariantId' });

    const later = now() + 20 * DAY;
    await stack.sdk.request(ChangePlanDocument, {
      input: {
        contractId: contract.billwerkId,
        planVariantId: pv.basicMonthly,
        changeDate: iso(later),
        idempotencyKey: newKey(),
      },
    });
    const read = await readContract(contract.billwerkId);
    expect(read.planVariant?.billwerkId).toBe(pv.proMonthly);
    expect(read.phases.at(-1)).toMatchObject({
      startDate: iso(later),
      planVariant: { id: `gid://billwerk/PlanVariant/${pv.basicMonthly}` },
    });
  });
});

describe('5. terminate with notice', () => {
  it('ends at the previewed date by default; a query right after shows the end', async () => {
    const { contract } = await signupNew(stack.sdk);
    expect((await readContract(contract.billwerkId)).endDate).toBeNull();
    const { previewTermination } = await stack.sdk.request(PreviewTerminationDocument, {
      input: { contractId: contract.billwerkId },
    });
    expect(previewTermination.contractAfter.endDate).toBe(previewTermination.endDate);
    expect(Date.parse(previewTermination.nextPossibleCancellationDate)).toBeLessThanOrEqual(
      Date.parse(previewTermination.endDate),
    );
    const { terminateContract } = await stack.sdk.request(TerminateContractDocument, {
      input: { contractId: contract.billwerkId, idempotencyKey: newKey() },
    });
    expect(terminateContract.endDate).toBe(previewTermination.endDate);
    expect(terminateContract.contract.endDate).toBe(previewTermination.endDate);
    expect((await readContract(contract.billwerkId)).endDate).toBe(previewTermination.endDate);
  });

  it('ends at a later requested date', async () => {
    const { contract } = await signupNew(stack.sdk);
    const { previewTermination } = await stack.sdk.request(PreviewTerminationDocument, {
      input: { contractId: contract.id },
    });
    const later = iso(Date.parse(previewTermination.endDate) + 30 * DAY);
    const { terminateContract } = await stack.sdk.request(TerminateContractDocument, {
      input: { contractId: contract.id, endDate: later, idempotencyKey: newKey() },
    });
    expect(terminateContract.endDate).toBe(later);
    expect((await readContract(contract.billwerkId)).endDate).toBe(later);
  });

  it('refuses a date before notice allows, naming the earliest end and the next possible cancellation date', async () => {
    const { contract } = await signupNew(stack.sdk);
    const { previewTermination: p } = await stack.sdk.request(PreviewTerminationDocument, {
      input: { contractId: contract.id },
    });
    const early = iso(Date.parse(p.endDate) - DAY);
    const ends = stack.emulator.requests.count({ method: 'POST', path: /\/end$/i });
    const error = await errorOf(
      stack.sdk.request(TerminateContractDocument, {
        input: { contractId: contract.id, endDate: early, idempotencyKey: newKey() },
      }),
    );
    expect(error.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'endDate',
      earliestEndDate: p.endDate,
      nextPossibleCancellationDate: p.nextPossibleCancellationDate,
    });
    expect(error.message).toContain(p.endDate);
    expect(error.message).toContain(p.nextPossibleCancellationDate);
    expect(stack.emulator.requests.count({ method: 'POST', path: /\/end$/i })).toBe(ends);
  });
});

describe('6. terminate without notice, and annulation (admin only)', () => {
  it('refuses callers without the admin role with FORBIDDEN, before any billwerk call', async () => {
    const { contract } = await signupNew(stack.sdk);
    const writes = stack.emulator.requests.count({ method: 'POST' });
    const input = { contractId: contract.billwerkId, idempotencyKey: newKey() };
    for (const call of [
      stack.sdkAs(PARTNER_KEY).request(TerminateContractWithoutNoticeDocument, { input }),
      stack.sdkAs(PARTNER_KEY).request(AnnulContractDocument, { input }),
      stack.sdkAs(READONLY_KEY).request(AnnulContractDocument, { input }),
    ]) {
      expect((await errorOf(call)).extensions).toMatchObject({ code: 'FORBIDDEN' });
    }
    const unknownKey = stack.sdkAs('wrong-key-0123456789abcdef').request(AnnulContractDocument, { input });
    expect((await errorOf(unknownKey)).extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(stack.emulator.requests.count({ method: 'POST' })).toBe(writes);
  });

  it('lets an admin end a contract on any date after its start', async () => {
    const { contract } = await signupNew(stack.sdk);
    const end = iso(now() + 2 * DAY);
    const { terminateContractWithoutNotice } = await admin.request(TerminateContractWithoutNoticeDocument, {
      input: { contractId: contract.billwerkId, endDate: end, idempotencyKey: newKey() },
    });
    expect(terminateContractWithoutNotice.endDate).toBe(end);
    expect((await readContract(contract.billwerkId)).endDate).toBe(end);
  });

  it('lets an admin annul a contract: it ends at its own start', async () => {
    const { contract } = await signupNew(stack.sdk);
    const { annulContract } = await admin.request(AnnulContractDocument, {
      input: { contractId: contract.billwerkId, idempotencyKey: newKey() },
    });
    expect(annulContract.contract).toMatchObject({ status: 'ENDED', endDate: contract.startDate });
    expect((await readContract(contract.billwerkId)).status).toBe('ENDED');
  });
});

describe('7. component subscriptions', () => {
  it('adds, re-quantifies and ends components through change orders', async () => {
    const { contract } = await signupNew(stack.sdk, {
      components: [{ componentId: comp.seats, quantity: 2 }],
    });
    const changes = {
      contractId: contract.billwerkId,
      add: [{ componentId: comp.prioritySupport, quantity: 1 }],
      changeQuantity: [{ componentId: comp.seats, quantity: 5 }],
    };
    const { previewComponentSubscriptionChange: preview } = await stack.sdk.request(
      PreviewComponentSubscriptionChangeDocument,
      {
        input: changes,
      },
    );
    expect(preview.orderType).toBe('UPGRADE');
    const { changeComponentSubscriptions: changed } = await stack.sdk.request(
      ChangeComponentSubscriptionsDocument,
      {
        input: { ...changes, idempotencyKey: newKey() },
      },
    );
    expect(changed.order.status).toBe('COMPLETED');
    const running = (await readContract(contract.billwerkId)).componentSubscriptions.filter(
      (s) => !s.endDate,
    );
    expect(running.map((s) => [s.component?.id, s.quantity]).sort()).toEqual(
      [
        [`gid://billwerk/Component/${comp.prioritySupport}`, 1],
        [`gid://billwerk/Component/${comp.seats}`, 5],
      ].sort(),
    );

    const support = running.find((s) => s.component?.id.endsWith(comp.prioritySupport))!;
    await stack.sdk.request(ChangeComponentSubscriptionsDocument, {
      input: { contractId: contract.billwerkId, end: [support.billwerkId], idempotencyKey: newKey() },
    });
    const ended = (await readContract(contract.billwerkId)).componentSubscriptions.find(
      (s) => s.billwerkId === support.billwerkId,
    );
    expect(ended?.endDate).not.toBeNull();
  });

  it('refuses a metered component, an unbooked quantity change and an empty change', async () => {
    const { contract } = await signupNew(stack.sdk);
    const cases: [Record<string, unknown>, string][] = [
      [{ add: [{ componentId: comp.apiCalls, quantity: 1 }] }, 'add[0].componentId'],
      [{ changeQuantity: [{ componentId: comp.seats, quantity: 2 }] }, 'changeQuantity[0].componentId'],
      [{ end: ['ffffffffffffffffffffffff'] }, 'end[0]'],
      [{}, 'add'],
    ];
    for (const [changes, field] of cases) {
      const error = await errorOf(
        stack.sdk.request(ChangeComponentSubscriptionsDocument, {
          input: { contractId: contract.billwerkId, idempotencyKey: newKey(), ...changes },
        }),
      );
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });
});

describe('8. metered usage', () => {
  it('records usage once per key; the contract lists it', async () => {
    const { contract } = await signupNew(stack.sdk, { planVariantId: pv.proMonthly });
    const input = {
      contractId: contract.billwerkId,
      records: [
        { componentId: comp.apiCalls, quantity: 120, memo: 'API calls' },
        { componentId: comp.apiCalls, quantity: 30, key: 'batch-2', dueDate: iso(now() - DAY) },
      ],
      idempotencyKey: newKey(),
    };
    const { reportUsage } = await stack.sdk.request(ReportUsageDocument, { input });
    expect(reportUsage.usageRecords.map((r) => [r.quantity, r.component?.billwerkId])).toEqual([
      [120, comp.apiCalls],
      [30, comp.apiCalls],
    ]);
    expect(reportUsage.usageRecords[1]?.key).toBe('batch-2');
    const usage = (await stack.sdk.request(ContractUsageDocument, { id: contract.billwerkId })).contract!
      .usage;
    expect(usage.map((u) => u.quantity).sort()).toEqual([120, 30].sort());

    const wrong = await errorOf(
      stack.sdk.request(ReportUsageDocument, {
        input: { ...input, records: [{ componentId: comp.seats, quantity: 1 }], idempotencyKey: newKey() },
      }),
    );
    expect(wrong.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'records[0].componentId' });
  });
});
