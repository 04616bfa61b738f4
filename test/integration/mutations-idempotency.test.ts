// Idempotency, failures mid-flow, cache invalidation and coupons (flows.md §9), against the emulator over
// HTTP. Webhooks are not registered here, so any fresh read after a mutation is the mutation's own doing.
import { randomUUID } from 'node:crypto';
import { SEED_IDS } from '../../src/emulator/seed.js';
import {
  ApplyCouponDocument,
  ContractDocument,
  PreviewCouponDocument,
  SignupDocument,
  TerminateContractDocument,
  createGatewayClient,
  type SignupInput,
} from '../../sdk/client.js';
import { createLogger } from '../../src/logger.js';
import { errorOf, newKey, signupNew } from '../helpers/mutations.js';
import { apiKey, bearer } from '../helpers/auth.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { bid } from '../helpers/ids.js';

const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
const PARTNER_KEY = 'test-partner-key-0123456789abcdef';

/** The gateway's log lines at warn and above. */
const logged: { level: number; msg: string }[] = [];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    registerWebhook: false,
    logger: createLogger({
      level: 'warn',
      destination: {
        write: (line: string) => logged.push(JSON.parse(line) as { level: number; msg: string }),
      },
    }),
    env: {
      GATEWAY_ADMIN_KEY: ADMIN_KEY,
      API_KEYS: JSON.stringify([apiKey(PARTNER_KEY, { id: 'partner', role: 'partner' })]),
    },
  });
});
afterAll(() => stack.close());

const ORDERS = /^\/api\/v1\/orders$/i;
const COMMITS = /^\/api\/v1\/orders\/[^/]+\/commit$/i;
const count = (path: RegExp, method = 'POST') => stack.emulator.requests.count({ method, path });

/** A signup of a new customer whose email names it, so the emulator's store can be searched for it. */
function signupInput(key: string): SignupInput {
  const email = `idem-${randomUUID().slice(0, 8)}@example.com`;
  return {
    customer: { firstName: 'Idem', lastName: 'Potent', emailAddress: email },
    planVariantId: SEED_IDS.planVariants.basicMonthly,
    idempotencyKey: key,
  };
}

const contractsOf = (email: string | null | undefined) => {
  const customers = stack.emulator.store.customers.list().filter((c) => c.EmailAddress === email);
  return stack.emulator.store.contracts.list().filter((c) => customers.some((cu) => cu.Id === c.CustomerId));
};

describe('idempotency keys', () => {
  it('a double submit with one key makes one order and replays the first result without writing', async () => {
    const input = signupInput(newKey());
    const orders = count(ORDERS);
    const first = (await stack.sdk.request(SignupDocument, { input })).signup;
    const writes = stack.emulator.requests.count({ method: 'POST' });
    const second = (await stack.sdk.request(SignupDocument, { input })).signup;
    expect(first.replayed).toBe(false);
    expect(second.replayed).toBe(true);
    expect(second.contract.billwerkId).toBe(first.contract.billwerkId);
    expect(second.order).toEqual(first.order);
    expect(count(ORDERS)).toBe(orders + 1);
    expect(stack.emulator.requests.count({ method: 'POST' })).toBe(writes);
    expect(contractsOf(input.customer?.emailAddress)).toHaveLength(1);
  });

  it('a concurrent double submit makes one order: the repeat waits for the first', async () => {
    const input = signupInput(newKey());
    const orders = count(ORDERS);
    // A slow order creation keeps the first attempt running while the repeat arrives.
    stack.emulator.faults.inject({ method: 'POST', path: ORDERS, delayMs: 200, times: 1 });
    const results = await Promise.all([
      stack.sdk.request(SignupDocument, { input }),
      stack.sdk.request(SignupDocument, { input }),
    ]);
    expect(results.map((r) => r.signup.replayed).sort()).toEqual([false, true]);
    expect(new Set(results.map((r) => r.signup.contract.billwerkId)).size).toBe(1);
    expect(count(ORDERS)).toBe(orders + 1);
  });

  it('takes the key from the Idempotency-Key header too', async () => {
    const key = newKey();
    const client = createGatewayClient({
      url: stack.graphqlUrl,
      headers: { 'idempotency-key': key, authorization: bearer(ADMIN_KEY) },
    });
    const { idempotencyKey: _omitted, ...input } = signupInput(key);
    const first = (await client.request(SignupDocument, { input })).signup;
    const second = (await stack.sdk.request(SignupDocument, { input: { ...input, idempotencyKey: key } }))
      .signup;
    expect(second).toMatchObject({ replayed: true, contract: { billwerkId: first.contract.billwerkId } });
  });

  it('refuses a key reused with another input with CONFLICT', async () => {
    const key = newKey();
    await stack.sdk.request(SignupDocument, { input: signupInput(key) });
    const orders = count(ORDERS);
    const error = await errorOf(stack.sdk.request(SignupDocument, { input: signupInput(key) }));
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(count(ORDERS)).toBe(orders);
  });

  it('scopes keys per caller: the same key of two callers names two requests', async () => {
    const key = newKey();
    const admin = createGatewayClient({
      url: stack.graphqlUrl,
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const byPartner = await signupNew(stack.sdkAs(PARTNER_KEY), { idempotencyKey: key });
    const byAdmin = await signupNew(admin, { idempotencyKey: key });
    expect(byAdmin.replayed).toBe(false);
    expect(byAdmin.contract.billwerkId).not.toBe(byPartner.contract.billwerkId);
  });

  it('requires a key of at most 255 characters', async () => {
    const { idempotencyKey: _omitted, ...input } = signupInput('');
    for (const idempotencyKey of [undefined, '', 'x'.repeat(256)]) {
      const error = await errorOf(stack.sdk.request(SignupDocument, { input: { ...input, idempotencyKey } }));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
    }
    const ok = await stack.sdk.request(SignupDocument, {
      input: { ...input, idempotencyKey: 'y'.repeat(255) },
    });
    expect(ok.signup.replayed).toBe(false);
  });

  it('frees a key the gateway refused before writing, so it can carry a corrected input', async () => {
    const key = newKey();
    const input = signupInput(key);
    const refused = await errorOf(
      stack.sdk.request(SignupDocument, { input: { ...input, planVariantId: 'ffffffffffffffffffffffff' } }),
    );
    expect(refused.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'planVariantId' });
    expect((await stack.sdk.request(SignupDocument, { input })).signup.replayed).toBe(false);
  });
});

describe('failures mid-flow', () => {
  afterEach(() => stack.emulator.faults.clear());

  it('a failed commit is a retryable error; the retry commits the order already created', async () => {
    const input = signupInput(newKey());
    const [orders, commits] = [count(ORDERS), count(COMMITS)];
    stack.emulator.faults.inject({ method: 'POST', path: COMMITS, status: 500, times: 1 });
    const failed = await errorOf(stack.sdk.request(SignupDocument, { input }));
    expect(failed.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
    expect(failed.message).not.toContain('Injected');
    expect(contractsOf(input.customer?.emailAddress)).toHaveLength(0);

    const retried = (await stack.sdk.request(SignupDocument, { input })).signup;
    expect(retried).toMatchObject({ replayed: false, order: { status: 'COMPLETED' } });
    const again = (await stack.sdk.request(SignupDocument, { input })).signup;
    expect(again).toMatchObject({ replayed: true, contract: { billwerkId: retried.contract.billwerkId } });
    expect(count(ORDERS)).toBe(orders + 1);
    expect(count(COMMITS)).toBe(commits + 2);
    expect(contractsOf(input.customer?.emailAddress)).toHaveLength(1);
  });

  it('replays billwerk’s own refusal, e.g. an invalid coupon code, without calling it again', async () => {
    const { contract } = await signupNew(stack.sdk);
    const input = { contractId: contract.billwerkId, couponCode: 'NOPE', idempotencyKey: newKey() };
    const first = await errorOf(stack.sdk.request(ApplyCouponDocument, { input }));
    expect(first.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      billwerkErrorCode: 'InvalidCouponCode',
      field: 'couponCode',
    });
    const orders = count(ORDERS);
    const second = await errorOf(stack.sdk.request(ApplyCouponDocument, { input }));
    expect(second).toMatchObject({
      message: first.message,
      extensions: { ...first.extensions, replayed: true },
    });
    expect(count(ORDERS)).toBe(orders);
  });

  it('a commit that went through although the gateway saw it fail is not made twice', async () => {
    const input = signupInput(newKey());
    stack.emulator.faults.inject({ method: 'POST', path: COMMITS, status: 504, times: 1 });
    await errorOf(stack.sdk.request(SignupDocument, { input }));
    // The emulator cannot process a request and then lose its answer (its delay runs before the route,
    // and a client that gives up aborts the request); committing the order directly leaves billwerk in
    // that state: the order committed, the gateway's attempt recorded as failed.
    const [order] = stack.emulator.store.orders
      .list()
      .filter((o) => o.Customer?.EmailAddress === input.customer?.emailAddress);
    await stack.billwerk.orders.commit(bid(order!.Id), { PaymentMethod: 'InvoicePayment' });

    const commits = count(COMMITS);
    const retried = (await stack.sdk.request(SignupDocument, { input })).signup;
    expect(retried).toMatchObject({ replayed: false, contract: { billwerkId: order!.ContractId } });
    expect(count(COMMITS)).toBe(commits);
    expect(contractsOf(input.customer?.emailAddress)).toHaveLength(1);
  });
});

describe('caches after a mutation', () => {
  it('a query right after a mutation shows the new state, although the contract was cached before', async () => {
    const { contract } = await signupNew(stack.sdk);
    const read = async () =>
      (await stack.sdk.request(ContractDocument, { id: contract.billwerkId })).contract!;
    expect((await read()).endDate).toBeNull();
    expect((await read()).endDate).toBeNull();
    const { terminateContract } = await stack.sdk.request(TerminateContractDocument, {
      input: { contractId: contract.billwerkId, idempotencyKey: newKey() },
    });
    expect((await read()).endDate).toBe(terminateContract.endDate);
  });
});

describe('9. coupons', () => {
  it('previews an invalid code as a typed result and a valid one with its discount, then applies it', async () => {
    const { contract } = await signupNew(stack.sdk);
    const invalid = (
      await stack.sdk.request(PreviewCouponDocument, {
        input: { contractId: contract.id, couponCode: 'NOPE' },
      })
    ).previewCoupon.coupon;
    expect(invalid).toMatchObject({
      code: 'NOPE',
      valid: false,
      errorCode: 'InvalidCouponCode',
      coupon: null,
    });
    const valid = (
      await stack.sdk.request(PreviewCouponDocument, {
        input: { contractId: contract.id, couponCode: 'welcome-10' },
      })
    ).previewCoupon.coupon;
    expect(valid).toMatchObject({
      code: 'WELCOME10',
      valid: true,
      coupon: { billwerkId: SEED_IDS.coupons.welcome10 },
      discount: { billwerkId: SEED_IDS.discounts.welcome10 },
    });

    const { applyCoupon } = await stack.sdk.request(ApplyCouponDocument, {
      input: { contractId: contract.id, couponCode: 'welcome-10', idempotencyKey: newKey() },
    });
    expect(applyCoupon.coupon).toMatchObject({ code: 'WELCOME10', valid: true });
    expect(applyCoupon.contract.discountSubscriptions.map((d) => d.couponCode)).toEqual(['WELCOME10']);
  });

  it('signs up with a coupon code', async () => {
    const { order, contract } = await signupNew(stack.sdk, { couponCode: 'WELCOME10' });
    expect(order.coupon).toMatchObject({ valid: true, code: 'WELCOME10' });
    expect(order.discountSubscriptions.map((d) => d.couponCode)).toEqual(['WELCOME10']);
    const read = (await stack.sdk.request(ContractDocument, { id: contract.billwerkId })).contract!;
    expect(read.discountSubscriptions.map((d) => d.couponCode)).toEqual(['WELCOME10']);
  });
});

describe('a partner mutating a contract outside its scope', () => {
  it('is refused NOT_FOUND, not retryable, logs no error, and the key replays the refusal', async () => {
    const partner = stack.sdkAs(PARTNER_KEY);
    const input = { contractId: SEED_IDS.contracts.adaBasicMonthly, idempotencyKey: newKey('foreign') };
    const errorsBefore = logged.filter((line) => line.level >= 50).length;
    const first = await errorOf(partner.request(TerminateContractDocument, { input }));
    expect(first.extensions).toMatchObject({ code: 'NOT_FOUND', type: 'Contract' });
    expect(first.extensions).not.toHaveProperty('retryable');
    expect(logged.filter((line) => line.level >= 50).slice(errorsBefore)).toEqual([]);

    const calls = stack.emulator.requests.count({ path: /^\/api\/v1\// });
    const repeat = await errorOf(partner.request(TerminateContractDocument, { input }));
    expect(repeat.message).toBe(first.message);
    expect(repeat.extensions).toMatchObject({ code: 'NOT_FOUND', replayed: true });
    expect(repeat.extensions).not.toHaveProperty('retryable');
    expect(stack.emulator.requests.count({ path: /^\/api\/v1\// })).toBe(calls);
  });
});
