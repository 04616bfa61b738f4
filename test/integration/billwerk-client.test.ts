// The billwerk client against the embedded emulator over real HTTP: tokens, paging, every error class
// from a real status code, retries counted from the emulator's request log.
import { createServer } from 'node:net';
import {
  createBillwerkClient,
  type BillwerkClient,
  type BillwerkClientOptions,
  type UpstreamCallInfo,
} from '../../src/billwerk/client.js';
import type { Customer } from '../../src/billwerk/dto.js';
import {
  AuthenticationError,
  ConflictError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  TimeoutError,
  UpstreamError,
  ValidationError,
} from '../../src/billwerk/errors.js';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { bid } from '../helpers/ids.js';
import { api } from '../../src/billwerk/route.js';

const UNKNOWN_ID = '0123456789abcdef01234567';

let emulator: Emulator;
const clients: BillwerkClient[] = [];

/** A fresh client (own token cache) whose backoff sleeps are recorded, not waited. */
function connect(overrides: Partial<BillwerkClientOptions> = {}, target: Emulator = emulator) {
  const sleeps: number[] = [];
  const client = createBillwerkClient({
    baseUrl: target.url,
    clientId: target.credentials.clientId,
    clientSecret: target.credentials.clientSecret,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  });
  clients.push(client);
  return { client, sleeps };
}

const tokenRequests = (target: Emulator = emulator) => target.requests.count({ path: '/oauth/token' });

beforeAll(async () => {
  // No seed data: every entity a test sees is one it created.
  emulator = await createEmulator({ port: 0, seed: false });
});

afterEach(() => {
  emulator.faults.clear();
  emulator.requests.reset();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emulator.close();
});

async function newCustomer(client: BillwerkClient, name = 'Ada'): Promise<Customer> {
  return client.customers.create({ FirstName: name, LastName: 'Lovelace', EmailAddress: 'ada@example.com' });
}

describe('tokens', () => {
  it('a burst of concurrent calls fetches one token, and later calls reuse it', async () => {
    const { client } = connect();
    await Promise.all(Array.from({ length: 20 }, () => client.customers.list({ take: 5 })));
    await client.customers.list({ take: 5 });
    expect(tokenRequests()).toBe(1);
  });

  it('a revoked token costs one 401, one refresh and one replay', async () => {
    const { client } = connect();
    const customer = await newCustomer(client);
    emulator.requests.reset();
    emulator.revokeTokens();
    await Promise.all(Array.from({ length: 5 }, () => client.customers.get(bid(customer.Id))));
    expect(tokenRequests()).toBe(1);
    expect(emulator.requests.count({ method: 'GET', path: `/api/v1/customers/${customer.Id}` })).toBe(10);
  });

  it('a short-lived token is refreshed before it expires, without a 401', async () => {
    const clock = createClock({ mode: 'manual' });
    const ttlEmulator = await createEmulator({ port: 0, seed: false, tokenTtlSeconds: 60, clock });
    try {
      const { client } = connect({ now: () => clock.now().getTime() }, ttlEmulator);
      await client.customers.list({ take: 1 });
      await clock.advance(29_000);
      await client.customers.list({ take: 1 });
      expect(tokenRequests(ttlEmulator)).toBe(1);
      // Half of the 60 s lifetime is the refresh point, while the old token is still valid upstream.
      await clock.advance(1_000);
      await client.customers.list({ take: 1 });
      expect(tokenRequests(ttlEmulator)).toBe(2);
      expect(ttlEmulator.requests.list().filter((r) => r.status === 401)).toEqual([]);
    } finally {
      await ttlEmulator.close();
    }
  });

  it('a token that lapsed before the client expected costs one 401 and one replay', async () => {
    const clock = createClock({ mode: 'manual' });
    const ttlEmulator = await createEmulator({ port: 0, seed: false, tokenTtlSeconds: 60, clock });
    try {
      // The client's clock stands still, so it keeps trusting the token the emulator let lapse.
      const { client } = connect({ now: () => 0 }, ttlEmulator);
      await client.customers.list({ take: 1 });
      await clock.advance(61_000);
      await client.customers.list({ take: 1 });
      expect(ttlEmulator.requests.list().map((r) => [r.path, r.status])).toEqual([
        ['/oauth/token', 200],
        ['/api/v1/customers', 200],
        ['/api/v1/customers', 401],
        ['/oauth/token', 200],
        ['/api/v1/customers', 200],
      ]);
    } finally {
      await ttlEmulator.close();
    }
  });

  it('wrong client credentials are an AuthenticationError that names no secret', async () => {
    const { client } = connect({ clientSecret: 'definitely-wrong-secret' });
    const error = await client.customers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(String(error)).not.toContain('definitely-wrong-secret');
    expect(emulator.requests.count({ path: /^\/api\/v1\// })).toBe(0);
  });
});

describe('paging', () => {
  it('walks 120 new customers 25 at a time, each exactly once, one request per page', async () => {
    const { client } = connect();
    const created = new Set<string>();
    for (let i = 0; i < 120; i++) created.add((await newCustomer(client, `Walker ${i}`)).Id);
    emulator.requests.reset();

    const seen: string[] = [];
    let pages = 0;
    for await (const page of client.paginate<Customer>(api`/customers`, {}, { pageSize: 25 })) {
      pages++;
      expect(page.length).toBeLessThanOrEqual(25);
      seen.push(...page.map((c) => c.Id));
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => created.has(id))).toHaveLength(120);
    // Full pages, then one short (possibly empty) page that ends the walk.
    const requests = emulator.requests.count({ method: 'GET', path: /^\/api\/v1\/customers(\?.*)?$/ });
    expect(requests).toBe(Math.floor(seen.length / 25) + 1);
    expect(pages).toBe(Math.ceil(seen.length / 25));
  });

  it('listPage continues after a cursor without repeating it', async () => {
    const { client } = connect();
    const first = await client.customers.list({ take: 3 });
    const next = await client.customers.list({ take: 3, from: bid(first[2]!.Id) });
    expect(next.map((c) => c.Id)).not.toContain(first[2]!.Id);
    const both = await client.customers.list({ take: 6 });
    expect([...first, ...next].map((c) => c.Id)).toEqual(both.map((c) => c.Id));
  });
});

describe('errors from real status codes', () => {
  it('404 for an unknown id, not retried', async () => {
    const { client } = connect();
    const error = await client.customers.get(bid(UNKNOWN_ID)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, method: 'GET', path: `/customers/${UNKNOWN_ID}` });
    expect(emulator.requests.count({ path: `/api/v1/customers/${UNKNOWN_ID}` })).toBe(1);
  });

  it('422 for an order without a target, with billwerk Message', async () => {
    const { client } = connect();
    const error = await client.orders.create({ Cart: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).billwerkMessage).toEqual(expect.any(String));
    expect(emulator.requests.count({ method: 'POST', path: '/api/v1/orders' })).toBe(1);
  });

  it('412 when If-Match is stale', async () => {
    const { client } = connect();
    const customer = await newCustomer(client);
    const error = await client.customers
      .patch(bid(customer.Id), { FirstName: 'Bo' }, '"stale"')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 412 });
  });

  it.each([
    { status: 400, cls: ValidationError },
    { status: 403, cls: ForbiddenError },
    { status: 409, cls: ConflictError },
  ])('$status from billwerk becomes $cls.name', async ({ status, cls }) => {
    const { client } = connect();
    emulator.faults.inject({
      path: `/api/v1/customers/${UNKNOWN_ID}`,
      status,
      body: { Message: 'injected' },
    });
    await expect(client.customers.get(bid(UNKNOWN_ID))).rejects.toBeInstanceOf(cls);
  });

  it('a 401 that survives the refresh is an AuthenticationError without secret or token', async () => {
    const { client } = connect();
    const path = `/api/v1/customers/${UNKNOWN_ID}`;
    emulator.faults.inject({ path, status: 401, body: { Message: 'token rejected' }, times: 2 });
    const error = await client.customers.get(bid(UNKNOWN_ID)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(emulator.requests.count({ path })).toBe(2);
    expect(tokenRequests()).toBe(2);
    const text = [String(error), (error as Error).stack, JSON.stringify(error)].join('\n');
    expect(text).not.toContain(emulator.credentials.clientSecret);
    expect(text).not.toMatch(/Bearer \w/);
  });
});

describe('retries', () => {
  it('429 with Retry-After is waited out, then a POST succeeds', async () => {
    const { client, sleeps } = connect();
    emulator.faults.inject({
      method: 'POST',
      path: '/api/v1/customers',
      status: 429,
      headers: { 'Retry-After': '1' },
      times: 1,
    });
    await expect(newCustomer(client)).resolves.toMatchObject({ FirstName: 'Ada' });
    expect(sleeps).toEqual([1000]);
    expect(emulator.requests.count({ method: 'POST', path: '/api/v1/customers' })).toBe(2);
  });

  it('a Retry-After beyond maxRetryAfterMs surfaces as RateLimitedError', async () => {
    const { client } = connect({ maxRetryAfterMs: 5_000 });
    const path = `/api/v1/customers/${UNKNOWN_ID}`;
    emulator.faults.inject({ path, status: 429, headers: { 'Retry-After': '120' }, times: 1 });
    const error = await client.customers.get(bid(UNKNOWN_ID)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(120_000);
    expect(emulator.requests.count({ path })).toBe(1);
  });

  it('the legacy 403 "rate limit exceeded" is backed off and retried', async () => {
    const { client, sleeps } = connect();
    const customer = await newCustomer(client);
    const path = `/api/v1/customers/${customer.Id}`;
    emulator.faults.inject({ path, status: 403, body: { Message: 'rate limit exceeded' }, times: 1 });
    await expect(client.customers.get(bid(customer.Id))).resolves.toMatchObject({ Id: customer.Id });
    expect(sleeps).toHaveLength(1);
    expect(emulator.requests.count({ path })).toBe(2);
  });

  it.each([500, 503])('a GET answered %i is retried, then succeeds', async (status) => {
    const { client } = connect();
    const customer = await newCustomer(client);
    const path = `/api/v1/customers/${customer.Id}`;
    emulator.faults.inject({ method: 'GET', path, status, times: 2 });
    await expect(client.customers.get(bid(customer.Id))).resolves.toMatchObject({ Id: customer.Id });
    expect(emulator.requests.count({ method: 'GET', path })).toBe(3);
  });

  it('a GET that keeps failing gives up after maxRetries with UpstreamError', async () => {
    const { client } = connect({ maxRetries: 2 });
    const path = `/api/v1/customers/${UNKNOWN_ID}`;
    emulator.faults.inject({ path, status: 503, times: 10 });
    await expect(client.customers.get(bid(UNKNOWN_ID))).rejects.toBeInstanceOf(UpstreamError);
    expect(emulator.requests.count({ path })).toBe(3);
  });

  it('a POST answered 500 is not retried', async () => {
    const { client } = connect();
    emulator.faults.inject({ method: 'POST', path: '/api/v1/customers', status: 500, times: 1 });
    await expect(newCustomer(client)).rejects.toBeInstanceOf(UpstreamError);
    expect(emulator.requests.count({ method: 'POST', path: '/api/v1/customers' })).toBe(1);
  });
});

describe('timeouts and network errors', () => {
  // The emulator logs a call only once its answer is written, so calls the client abandoned are counted
  // on the client side (onResponse reports them with status 0), and a single-use delay proves the rest:
  // a replay would find no delay and succeed.
  it('a slow GET times out and the retry succeeds', async () => {
    const calls: UpstreamCallInfo[] = [];
    const { client } = connect({ timeoutMs: 100, onResponse: (c) => calls.push(c) });
    const customer = await newCustomer(client);
    const path = `/api/v1/customers/${customer.Id}`;
    emulator.faults.inject({ path, delayMs: 300, times: 1 });
    await expect(client.customers.get(bid(customer.Id))).resolves.toMatchObject({ Id: customer.Id });
    expect(calls.filter((c) => c.method === 'GET').map((c) => [c.status, c.attempt])).toEqual([
      [0, 1],
      [200, 2],
    ]);
  });

  it('a GET that stays slow ends in TimeoutError after maxRetries', async () => {
    const calls: UpstreamCallInfo[] = [];
    const { client } = connect({ timeoutMs: 100, maxRetries: 1, onResponse: (c) => calls.push(c) });
    emulator.faults.inject({ path: `/api/v1/customers/${UNKNOWN_ID}`, delayMs: 300, times: 5 });
    await expect(client.customers.get(bid(UNKNOWN_ID))).rejects.toBeInstanceOf(TimeoutError);
    expect(calls.filter((c) => c.method === 'GET').map((c) => [c.status, c.attempt])).toEqual([
      [0, 1],
      [0, 2],
    ]);
  });

  it('a slow POST times out and is not sent again', async () => {
    const calls: UpstreamCallInfo[] = [];
    const { client } = connect({ timeoutMs: 100, onResponse: (c) => calls.push(c) });
    emulator.faults.inject({ method: 'POST', path: '/api/v1/customers', delayMs: 300, times: 1 });
    await expect(newCustomer(client)).rejects.toBeInstanceOf(TimeoutError);
    expect(calls.filter((c) => c.path === '/customers')).toEqual([
      expect.objectContaining({ method: 'POST', status: 0, attempt: 1 }),
    ]);
  });

  it('a closed port is a NetworkError after the retries', async () => {
    const port = await closedPort();
    const { client, sleeps } = connect({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2 });
    await expect(client.customers.get(bid(UNKNOWN_ID))).rejects.toBeInstanceOf(NetworkError);
    // The token fetch is what fails: it is retried even though nothing reached the API.
    expect(sleeps).toHaveLength(2);
  });
});

/** A port that was just free and is now closed, so connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return address.port;
}
