// Outgoing webhook delivery against real HTTP listeners: retries with X-Retry-Count and a doubling
// delay, per-customer order during retries, drops, Basic auth, event filters, 301, timeouts, coalescing.
import type { ComponentSubscription, Contract, Order } from '../../src/billwerk/dto.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { HookListener, startHarness, type Harness, anyString } from './emulator-harness.js';

const BASE = 40;
let h: Harness;
const extra: HookListener[] = [];

beforeEach(async () => {
  h = await startHarness({ webhooks: { baseDelayMs: BASE, factor: 2, maxRetries: 3, timeoutMs: 300 } });
});
afterEach(async () => {
  await h.close();
  await Promise.all(extra.splice(0).map((listener) => listener.close()));
});

async function listener(): Promise<HookListener> {
  const created = await new HookListener().start();
  extra.push(created);
  return created;
}

async function newCustomer(name: string): Promise<string> {
  return (await h.rest.ok<{ Id: string }>('POST', '/customers', { FirstName: name })).Id;
}

/** A signup for an existing customer: ContractCreated, ContractChanged, OrderSucceeded, InvoiceCreated. */
async function signup(customerId: string): Promise<Contract> {
  const order = await h.rest.ok<Order>('POST', '/orders', {
    CustomerId: customerId,
    Cart: { PlanVariantId: SEED_IDS.planVariants.basicMonthly },
  });
  return h.rest.ok<Contract>('POST', `/orders/${order.Id}/commit`, { PaymentMethod: 'InvoicePayment' });
}

it('retries a failed delivery with X-Retry-Count and a doubling delay, then succeeds', async () => {
  let calls = 0;
  h.hooks.answer = () => ({ status: ++calls <= 2 ? 500 : 200 });
  const id = await newCustomer('Retry');
  await h.emulator.webhooks.idle();
  const attempts = h.hooks.attempts.filter((item) => item.notice.CustomerId === id);
  expect(attempts.map((item) => item.headers['x-retry-count'])).toEqual([undefined, '1', '2']);
  expect(attempts.map((item) => item.notice)).toEqual(
    Array(3).fill({ Event: 'CustomerCreated', CustomerId: id, EntityId: SEED_IDS.entity }),
  );
  const [first, second, third] = attempts.map((item) => item.at);
  expect(second! - first!).toBeGreaterThanOrEqual(BASE);
  expect(third! - second!).toBeGreaterThanOrEqual(BASE * 2);
  expect(h.hooks.received).toHaveLength(1);
  expect(attempts[0]?.headers['content-type']).toBe('application/json');
});

it("keeps a customer's notices in order while the first one is retried", async () => {
  const id = await newCustomer('Ordered');
  await h.drain();
  let failures = 0;
  h.hooks.answer = (attempt) => ({
    status: attempt.notice.Event === 'ContractCreated' && failures++ < 2 ? 503 : 200,
  });
  const other = await newCustomer('Unaffected');
  const contract = await signup(id);
  await h.emulator.webhooks.idle();
  const mine = h.hooks.attempts.filter((item) => item.notice.CustomerId === id);
  expect(mine.map((item) => `${item.notice.Event}#${String(item.headers['x-retry-count'] ?? 0)}`)).toEqual([
    'ContractCreated#0',
    'ContractCreated#1',
    'ContractCreated#2',
    'ContractChanged#0',
    'OrderSucceeded#0',
    'InvoiceCreated#0',
  ]);
  expect(mine.every((item) => item.notice.ContractId === contract.Id)).toBe(true);
  // Another customer's notice does not wait for the retries.
  const otherArrival = h.hooks.received.findIndex((item) => item.notice.CustomerId === other);
  const lastOfMine = h.hooks.received.findIndex((item) => item.notice.Event === 'InvoiceCreated');
  expect(otherArrival).toBeLessThan(lastOfMine);
});

it('drops a notice after the last retry and delivers the next one', async () => {
  h.hooks.answer = (attempt) => ({ status: attempt.notice.Event === 'CustomerCreated' ? 500 : 200 });
  const id = await newCustomer('Dropped');
  await h.rest.ok('PATCH', `/customers/${id}`, { LastName: 'Later' });
  await h.emulator.webhooks.idle();
  const created = h.hooks.attempts.filter((item) => item.notice.Event === 'CustomerCreated');
  expect(created.map((item) => item.headers['x-retry-count'])).toEqual([undefined, '1', '2', '3']);
  expect(h.hooks.events()).toEqual(['CustomerChanged']);
});

it('sends Basic auth for a registration that carries Auth, and never echoes the password', async () => {
  const secured = await listener();
  const registration = await h.rest.ok<Record<string, unknown>>('POST', '/webhooks', {
    Url: secured.url,
    Events: ['CustomerCreated'],
    Auth: { Type: 'Basic', User: 'billwerk', Password: 's3cret' },
  });
  expect(registration).toEqual({ Id: anyString, Url: secured.url, Events: ['CustomerCreated'] });
  expect(JSON.stringify(await h.rest.ok('GET', '/webhooks'))).not.toContain('s3cret');
  await newCustomer('Auth');
  await h.emulator.webhooks.idle();
  expect(secured.received.map((item) => item.headers.authorization)).toEqual([
    `Basic ${Buffer.from('billwerk:s3cret').toString('base64')}`,
  ]);
  expect(h.hooks.received[0]?.headers.authorization).toBeUndefined();
});

it('delivers only the events a registration lists, and stops after DELETE', async () => {
  const picky = await listener();
  const registration = await h.rest.ok<{ Id: string }>('POST', '/webhooks', {
    Url: picky.url,
    Events: ['contractcancelled'],
  });
  const contract = await signup(await newCustomer('Picky'));
  await h.rest.ok('POST', `/contracts/${contract.Id}/end`, {
    EndDate: new Date(h.clock.now().getTime() + 86_400_000).toISOString(),
  });
  await h.emulator.webhooks.idle();
  expect(picky.events()).toEqual(['ContractCancelled']);
  expect((await h.rest.call('DELETE', `/webhooks/${registration.Id}`)).status).toBe(204);
  await h.rest.ok('POST', `/contracts/${contract.Id}/annulate`);
  await h.emulator.webhooks.idle();
  expect(picky.events()).toEqual(['ContractCancelled']);
});

it('follows a 301 to the new location', async () => {
  const target = await listener();
  h.hooks.answer = () => ({ status: 301, headers: { location: target.url } });
  const id = await newCustomer('Moved');
  await h.emulator.webhooks.idle();
  expect(target.received.map((item) => item.notice)).toEqual([
    { Event: 'CustomerCreated', CustomerId: id, EntityId: SEED_IDS.entity },
  ]);
  expect(h.hooks.attempts).toHaveLength(1);
});

it('counts an answer slower than timeoutMs as a failure and retries', async () => {
  let calls = 0;
  h.hooks.answer = () => (++calls === 1 ? { status: 200, delayMs: 1_000 } : { status: 200 });
  await newCustomer('Slow');
  await h.emulator.webhooks.idle();
  expect(h.hooks.attempts.map((item) => item.headers['x-retry-count'])).toEqual([undefined, '1']);
  expect(h.hooks.received.map((item) => item.headers['x-retry-count'])).toEqual(['1']);
});

it('merges changes of one contract taking effect at the same instant into one ContractChanged', async () => {
  const contract = await signup(await newCustomer('Merged'));
  await h.drain();
  await h.clock.advance(60_000);
  const add = () =>
    h.rest.ok<ComponentSubscription>(
      'POST',
      `/contracts/${contract.Id}/componentsubscriptions`,
      { ComponentId: SEED_IDS.components.seats, Quantity: 1, BilledUntil: contract.NextBillingDate },
      201,
    );
  await add();
  await add();
  await h.emulator.webhooks.idle();
  const changed = h.hooks.received.filter((item) => item.notice.Event === 'ContractChanged');
  expect(changed).toHaveLength(1);
  const changes = await h.rest.ok<{ Id: string; Type: string }[]>(
    'GET',
    `/contractChanges?contractId=${contract.Id}`,
  );
  // Newest first: the notice carries the first change recorded for that instant.
  expect(changed[0]?.notice).toMatchObject({
    ContractChangeType: 'ComponentSubscriptionChange',
    ContractChangeId: changes[1]?.Id,
  });
  h.hooks.clear();
  await h.clock.advance(1);
  await add();
  expect(await h.drain()).toEqual(['ContractChanged:ComponentSubscriptionChange']);
});
