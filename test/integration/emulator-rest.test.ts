// The emulator's REST surface: OAuth, paging, error bodies, conditional requests, casing, the
// catalogue and the seed data.
import type { Contract, Customer, PlanVariant, ProductInfo } from '../../src/billwerk/dto.js';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { RestClient, START, raw, anyString, containing, matching } from './emulator-harness.js';

let emulator: Emulator;
let rest: RestClient;
const clock = createClock({ mode: 'manual', start: START });

beforeAll(async () => {
  emulator = await createEmulator({ clock, tokenTtlSeconds: 600 });
  rest = new RestClient(emulator);
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  emulator.faults.clear();
  emulator.requests.reset();
});

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

const http = (method: string, path: string, options?: { headers?: Record<string, string>; body?: string }) =>
  raw(emulator.url, method, path, options);

describe('OAuth', () => {
  const { clientId, clientSecret } = { clientId: 'emulator', clientSecret: 'emulator-secret' };

  it('issues an opaque bearer token for Basic credentials', async () => {
    const reply = await http('POST', '/oauth/token', {
      headers: {
        authorization: basic(clientId, clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      access_token: matching(/^[\w-]{20,}$/),
      token_type: 'bearer',
      expires_in: 600,
    });
  });

  it('accepts form fields at /oauth/token/ and the token as ?access_token=', async () => {
    const reply = await http('POST', '/oauth/token/', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${clientId}&client_secret=${clientSecret}`,
    });
    const token = (reply.body as { access_token: string }).access_token;
    expect((await http('GET', `/api/v1/customers?take=1&access_token=${token}`)).status).toBe(200);
  });

  it('answers bad credentials, a missing token and a bad token with 401 and a Message', async () => {
    const wrong = await http('POST', '/oauth/token', {
      headers: {
        authorization: basic(clientId, 'nope'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(wrong).toMatchObject({ status: 401, body: { Message: anyString } });
    expect(await http('GET', '/api/v1/customers')).toMatchObject({
      status: 401,
      body: { Message: anyString },
    });
    const bad = await http('GET', '/api/v1/customers', { headers: { authorization: 'Bearer forged' } });
    expect(bad.status).toBe(401);
    const grant = await http('POST', '/oauth/token', {
      headers: {
        authorization: basic(clientId, clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=password',
    });
    expect(grant.status).toBe(400);
  });

  it('rejects revoked tokens and tokens past their lifetime on the emulated clock', async () => {
    const token = await rest.fetchToken();
    const get = () =>
      http('GET', '/api/v1/customers?take=1', { headers: { authorization: `Bearer ${token}` } });
    expect((await get()).status).toBe(200);
    emulator.revokeTokens();
    expect((await get()).status).toBe(401);

    const fresh = await rest.fetchToken();
    const getFresh = () =>
      http('GET', '/api/v1/customers?take=1', { headers: { authorization: `Bearer ${fresh}` } });
    await clock.advance(599_000);
    expect((await getFresh()).status).toBe(200);
    await clock.advance(1_000);
    expect((await getFresh()).status).toBe(401);
  });
});

describe('paging', () => {
  it('walks many items with take and an inclusive from cursor, each exactly once', async () => {
    const own = await createEmulator({ clock: createClock({ mode: 'manual', start: START }), seed: false });
    try {
      const client = new RestClient(own);
      const created = new Set<string>();
      for (let i = 0; i < 130; i += 1)
        created.add((await client.ok<Customer>('POST', '/customers', { FirstName: `P${i}` })).Id);
      // A customer created during the walk must not disturb it.
      const seen: string[] = [];
      let page = await client.ok<Customer[]>('GET', '/customers?take=50');
      seen.push(...page.map((item) => item.Id));
      await client.ok('POST', '/customers', { FirstName: 'Latecomer' });
      while (page.length > 0) {
        const last = page.at(-1)!.Id;
        page = await client.ok<Customer[]>('GET', `/customers?take=51&from=${last}`);
        expect(page[0]?.Id).toBe(last);
        page = page.slice(1);
        seen.push(...page.map((item) => item.Id));
      }
      expect(seen).toHaveLength(130);
      expect(new Set(seen)).toEqual(created);
      expect([...seen].sort().reverse()).toEqual(seen);
      expect(await client.ok<Customer[]>('GET', '/customers?skip=120&take=5')).toHaveLength(5);
      expect(await client.ok<Customer[]>('GET', '/customers')).toHaveLength(100);
      expect((await client.call('GET', '/customers?take=501')).status).toBe(422);
      expect((await client.call('GET', '/customers?skip=1001')).status).toBe(422);
    } finally {
      await own.close();
    }
  });
});

describe('errors', () => {
  it('404 for an unknown id and an unknown endpoint', async () => {
    expect(await rest.call('GET', '/customers/0123456789abcdef01234567')).toMatchObject({
      status: 404,
      body: { Message: containing('0123456789abcdef01234567') },
    });
    expect(await rest.call('GET', '/nothing-here')).toMatchObject({
      status: 404,
      body: { Message: anyString },
    });
  });

  it('400 for a body that is not JSON, 422 for invalid fields and broken rules', async () => {
    expect(await rest.call('POST', '/customers', '{"FirstName":')).toMatchObject({
      status: 400,
      body: { Message: anyString },
    });
    expect(await rest.call('POST', '/customers', { FirstName: 42 })).toMatchObject({
      status: 422,
      body: { Message: containing('FirstName') },
    });
    expect(
      await rest.call('POST', '/orders', { Cart: { PlanVariantId: SEED_IDS.planVariants.basicMonthly } }),
    ).toMatchObject({
      status: 422,
      body: { Message: containing('exactly one') },
    });
    const metered = await rest.call('POST', '/orders', {
      CustomerId: SEED_IDS.customers.grace,
      Cart: {
        PlanVariantId: SEED_IDS.planVariants.basicMonthly,
        ComponentSubscriptions: [{ ComponentId: SEED_IDS.components.apiCalls, Quantity: 1 }],
      },
    });
    expect(metered).toMatchObject({ status: 422, body: { Message: containing('metered') } });
    const commit = await rest.ok<{ Id: string }>('POST', '/orders', {
      Customer: { FirstName: 'No', LastName: 'Payment' },
      Cart: { PlanVariantId: SEED_IDS.planVariants.basicMonthly },
    });
    expect(await rest.call('POST', `/orders/${commit.Id}/commit`, {})).toMatchObject({
      status: 422,
      body: { Message: containing('payment') },
    });
  });

  it('ETag on GET, 304 for If-None-Match, 412 for a stale If-Match on PUT and PATCH', async () => {
    const id = SEED_IDS.customers.edsger;
    const first = await rest.call<Customer>('GET', `/customers/${id}`);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^".+"$/);
    expect((await rest.call('GET', `/customers/${id}`, undefined, { 'if-none-match': etag })).status).toBe(
      304,
    );
    const patched = await rest.call<Customer>(
      'PATCH',
      `/customers/${id}`,
      { CustomFields: { tier: 'gold' } },
      { 'if-match': etag },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.CustomFields).toEqual({ tier: 'gold' });
    const stale = await rest.call('PUT', `/customers/${id}`, { FirstName: 'Edsger' }, { 'if-match': etag });
    expect(stale).toMatchObject({ status: 412, body: { Message: anyString } });
    const contract = await rest.call<Contract>('GET', `/contracts/${SEED_IDS.contracts.adaBasicMonthly}`);
    const notes = await rest.call<Contract>(
      'PATCH',
      `/contracts/${contract.body.Id}`,
      { Notes: 'vip' },
      { 'if-match': String(contract.headers.etag) },
    );
    expect(notes).toMatchObject({ status: 200, body: { Notes: 'vip' } });
    const staleContract = await rest.call(
      'PUT',
      `/contracts/${contract.body.Id}`,
      { Notes: 'x' },
      { 'if-match': String(contract.headers.etag) },
    );
    expect(staleContract.status).toBe(412);
  });
});

describe('conventions', () => {
  it('matches paths and body keys in any casing and writes PascalCase', async () => {
    const created = await rest.ok<Customer>('POST', '/CUSTOMERS', {
      firstname: 'Case',
      LASTNAME: 'Insensitive',
      address: { country: 'DE' },
    });
    expect(created).toMatchObject({ FirstName: 'Case', LastName: 'Insensitive', Address: { Country: 'DE' } });
    expect(created.Id).toMatch(/^[0-9a-f]{24}$/);
    expect(created.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect((await rest.ok<Customer>('GET', `/Customers/${created.Id.toUpperCase()}`)).Id).toBe(created.Id);
  });

  it('PUT replaces and PATCH merges customer fields', async () => {
    const created = await rest.ok<Customer>('POST', '/customers', {
      FirstName: 'A',
      LastName: 'B',
      CustomFields: { a: 1 },
    });
    const patched = await rest.ok<Customer>('PATCH', `/customers/${created.Id}`, {
      LastName: null,
      CustomFields: { b: 2 },
    });
    expect(patched).toMatchObject({ FirstName: 'A', CustomFields: { a: 1, b: 2 } });
    expect(patched.LastName).toBeUndefined();
    const replaced = await rest.ok<Customer>('PUT', `/customers/${created.Id}`, { CompanyName: 'C GmbH' });
    expect(replaced).toMatchObject({
      CompanyName: 'C GmbH',
      CustomerName: 'C GmbH',
      CustomFields: {},
      CreatedAt: created.CreatedAt,
    });
    expect(replaced.FirstName).toBeUndefined();
  });

  it('finds customers by search and externalId', async () => {
    expect((await rest.ok<Customer[]>('GET', '/customers?externalId=cust-1002')).map((c) => c.Id)).toEqual([
      SEED_IDS.customers.grace,
    ]);
    expect((await rest.ok<Customer[]>('GET', '/customers?search=hopper')).map((c) => c.Id)).toEqual([
      SEED_IDS.customers.grace,
    ]);
  });
});

describe('catalogue and seed', () => {
  it('serves the seeded catalogue with its filters', async () => {
    const info = await rest.ok<ProductInfo>('GET', '/productInfo');
    expect(info.PlanGroups.map((group) => group.Id)).toEqual([SEED_IDS.planGroup]);
    expect(info.PlanVariants).toHaveLength(5);
    const pro = await rest.ok<PlanVariant[]>('GET', `/planVariants?planId=${SEED_IDS.plans.pro}`);
    expect(pro.map((variant) => variant.InternalName).sort()).toEqual(['Pro monthly', 'Pro yearly']);
    expect(
      (await rest.ok<PlanVariant>('GET', `/planVariants/${SEED_IDS.planVariants.basicYearly}`))
        .CancellationPeriod,
    ).toEqual({ Unit: 'Month', Quantity: 1 });
    expect(await rest.ok('GET', `/coupons/${SEED_IDS.coupons.welcome10}`)).toMatchObject({
      Code: 'WELCOME10',
    });
    expect(await rest.ok<unknown[]>('GET', '/components?search=api')).toHaveLength(1);
    expect((await rest.call('GET', '/discounts/0123456789abcdef01234567')).status).toBe(404);
  });

  it('seeds customers and contracts in every lifecycle state, with invoices', async () => {
    const { contracts: c } = SEED_IDS;
    const status = async (id: string) => (await rest.ok<Contract>('GET', `/contracts/${id}`)).LifecycleStatus;
    expect(await status(c.adaBasicMonthly)).toBe('Active');
    expect(await status(c.graceProYearly)).toBe('Active');
    expect(await status(c.alanProTrial)).toBe('InTrial');
    expect(await status(c.katherineFree)).toBe('Active');
    expect(await status(c.edsgerBasicEnded)).toBe('Ended');
    const cancelled = await rest.ok<Contract>('GET', `/contracts/${c.katherineBasicYearlyCancelled}`);
    expect(cancelled.LifecycleStatus).toBe('Active');
    expect(Date.parse(cancelled.EndDate ?? '')).toBeGreaterThan(clock.now().getTime());
    expect(await rest.ok<unknown[]>('GET', `/invoices?customerId=${SEED_IDS.customers.ada}`)).toHaveLength(2);
    expect(
      await rest.ok<unknown[]>('GET', `/customers/${SEED_IDS.customers.katherine}/contracts`),
    ).toHaveLength(2);
  });
});
