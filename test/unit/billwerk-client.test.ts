import { MockAgent } from 'undici';
import {
  createBillwerkClient,
  type BillwerkClientOptions,
  type UpstreamCallInfo,
} from '../../src/billwerk/client.js';
import {
  AuthenticationError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  TimeoutError,
  UpstreamError,
} from '../../src/billwerk/errors.js';
import { type BillwerkId } from '../../src/billwerk/id.js';
import { api } from '../../src/billwerk/route.js';
import { bid, fakeId } from '../helpers/ids.js';

const K1 = bid('6500000000000000000000a1');
const C1 = bid('6500000000000000000000c1');
const W1 = bid('6500000000000000000000f1');
const O1 = bid('6500000000000000000000b1');

const ORIGIN = 'http://billwerk.test';
const SECRET = 'very-secret-client-secret';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * A scripted billwerk: tokens `tok-1`, `tok-2`, … and, per API call, the next scripted reply (or 200 `{}`).
 */
function setup(options: Partial<BillwerkClientOptions> = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pool = agent.get(ORIGIN);
  const api: Seen[] = [];
  const script: (Reply | Error)[] = [];
  let tokensIssued = 0;
  pool
    .intercept({ path: '/oauth/token', method: 'POST' })
    .reply(() => ({ statusCode: 200, data: { access_token: `tok-${++tokensIssued}`, token_type: 'bearer' } }))
    .persist();
  const apiReply = (opts: { method: string; path: string; headers?: unknown; body?: unknown }) => {
    api.push({
      method: opts.method,
      path: opts.path,
      headers: opts.headers as Record<string, string>,
      body: typeof opts.body === 'string' ? opts.body : undefined,
    });
    const next = script.shift() ?? { status: 200, body: {} };
    if (next instanceof Error) throw next;
    return {
      statusCode: next.status,
      data: next.body === undefined ? '' : JSON.stringify(next.body),
      responseOptions: { headers: next.headers ?? {} },
    };
  };
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
    pool
      .intercept({ path: (p) => p.startsWith('/api/v1/'), method })
      .reply(apiReply)
      .persist();
  }
  const sleeps: number[] = [];
  const calls: UpstreamCallInfo[] = [];
  const client = createBillwerkClient({
    baseUrl: ORIGIN,
    clientId: 'client-id',
    clientSecret: SECRET,
    dispatcher: agent,
    random: () => 1,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    onResponse: (info) => calls.push(info),
    ...options,
  });
  return {
    client,
    api,
    script,
    sleeps,
    calls,
    tokensIssued: () => tokensIssued,
    close: async () => {
      await client.close();
      await agent.close();
    },
  };
}

describe('billwerk client requests', () => {
  it('sends the bearer token, JSON body and legal entity, and parses the answer', async () => {
    const t = setup({ legalEntityId: 'entity-7' });
    t.script.push({ status: 201, body: { Id: 'c1' } });
    const created = await t.client.customers.create({ FirstName: 'Ada' });
    expect(created).toEqual({ Id: 'c1' });
    expect(t.api[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/customers',
      body: '{"FirstName":"Ada"}',
    });
    expect(t.api[0]!.headers).toMatchObject({
      authorization: 'Bearer tok-1',
      'content-type': 'application/json',
      'x-selected-legal-entity-id': 'entity-7',
    });
    await t.close();
  });

  it('answers undefined for 204 and empty bodies', async () => {
    const t = setup();
    t.script.push({ status: 204 }, { status: 200 });
    await expect(t.client.webhooks.delete(W1)).resolves.toBeUndefined();
    await expect(t.client.request('GET', api`/anything`)).resolves.toBeUndefined();
    await t.close();
  });

  it('answers null for a 404 to find, reported like any call, while get still rejects with NotFoundError', async () => {
    const t = setup();
    t.script.push({ status: 404, body: { Message: 'no such contract' } }, { status: 404 });
    await expect(t.client.contracts.find(C1)).resolves.toBeNull();
    await expect(t.client.contracts.get(C1)).rejects.toBeInstanceOf(NotFoundError);
    expect(t.calls.map((call) => [call.endpoint, call.status])).toEqual([
      ['/oauth/token', 200],
      ['/contracts/{id}', 404],
      ['/contracts/{id}', 404],
    ]);
    await t.close();
  });

  it('builds queries without undefined values and sends search text only as a query value', async () => {
    const t = setup();
    t.script.push({ status: 200, body: [] });
    await t.client.customers.list({ search: '../a b', take: 10 });
    await t.client.customers.get(C1);
    expect(t.api.map((s) => s.path)).toEqual([
      '/api/v1/customers?search=..%2Fa+b&take=10',
      `/api/v1/customers/${C1}`,
    ]);
    await t.close();
  });

  it('refuses a path id that is not a parsed billwerk id, before any call', async () => {
    const t = setup();
    // A cast is the only way a plain string gets here; the route builder still refuses it.
    for (const hostile of ['..', '.', '../x', '%2e%2e', 'c1', `${C1}/..`]) {
      expect(() => t.client.customers.get(hostile as BillwerkId)).toThrow(/parsed BillwerkId/);
    }
    expect(t.api).toEqual([]);
    await t.close();
  });

  it('sends If-Match on a patch', async () => {
    const t = setup();
    await t.client.contracts.patch(K1, { Notes: 'n' }, '"etag-1"');
    expect(t.api[0]).toMatchObject({ method: 'PATCH', path: `/api/v1/contracts/${K1}` });
    expect(t.api[0]!.headers['if-match']).toBe('"etag-1"');
    await t.close();
  });

  it('fetches one token for many concurrent calls', async () => {
    const t = setup();
    await Promise.all(Array.from({ length: 10 }, (_, i) => t.client.customers.get(fakeId(i))));
    expect(t.tokensIssued()).toBe(1);
    await t.close();
  });

  it('reports each upstream call to onResponse', async () => {
    const t = setup();
    t.script.push({ status: 503 });
    await t.client.contracts.get(K1);
    expect(t.calls.map(({ method, path, status, attempt }) => ({ method, path, status, attempt }))).toEqual([
      { method: 'POST', path: '/oauth/token', status: 200, attempt: 1 },
      { method: 'GET', path: `/contracts/${K1}`, status: 503, attempt: 1 },
      { method: 'GET', path: `/contracts/${K1}`, status: 200, attempt: 2 },
    ]);
    await t.close();
  });
});

describe('billwerk client on 401', () => {
  it('refreshes the token once and replays the request, even a POST', async () => {
    const t = setup();
    t.script.push({ status: 401, body: { Message: 'token expired' } }, { status: 200, body: { Id: 'o1' } });
    await expect(t.client.orders.create({ Cart: {} })).resolves.toEqual({ Id: 'o1' });
    expect(t.api.map((s) => s.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    await t.close();
  });

  it('gives up after the replay with an error that holds neither secret nor token', async () => {
    const t = setup();
    t.script.push(
      { status: 401, body: { Message: 'bad token tok-1' } },
      { status: 401, body: { Message: `Authorization: Bearer tok-2 for client ${SECRET}` } },
    );
    const error = await t.client.customers.get(C1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(t.api).toHaveLength(2);
    const everything = [String(error), (error as Error).stack, JSON.stringify(error)].join('\n');
    for (const secret of [SECRET, 'tok-1', 'tok-2', Buffer.from(`client-id:${SECRET}`).toString('base64')]) {
      expect(everything).not.toContain(secret);
    }
    await t.close();
  });
});

describe('billwerk client retries', () => {
  it('retries a GET on 503 with backoff, then succeeds', async () => {
    const t = setup({ retryBaseDelayMs: 100 });
    t.script.push({ status: 503 }, { status: 502 }, { status: 200, body: { Id: 'k1' } });
    await expect(t.client.contracts.get(K1)).resolves.toEqual({ Id: 'k1' });
    expect(t.sleeps).toEqual([100, 200]);
    await t.close();
  });

  it('does not replay a POST after a 500', async () => {
    const t = setup();
    t.script.push({ status: 500, body: { Message: 'boom' } });
    await expect(t.client.orders.commit(O1)).rejects.toBeInstanceOf(UpstreamError);
    expect(t.api).toHaveLength(1);
    await t.close();
  });

  it('replays a POST the caller marked idempotent', async () => {
    const t = setup();
    t.script.push({ status: 503 });
    await t.client.request('POST', api`/orders/preview`, { body: {}, idempotent: true });
    expect(t.api).toHaveLength(2);
    await t.close();
  });

  it('replays a POST after 429, waiting the Retry-After', async () => {
    const t = setup();
    t.script.push({ status: 429, headers: { 'retry-after': '2' } }, { status: 200, body: { Id: 'o1' } });
    await expect(t.client.orders.create({ Cart: {} })).resolves.toEqual({ Id: 'o1' });
    expect(t.sleeps).toEqual([2000]);
    await t.close();
  });

  it('gives up on a Retry-After longer than maxRetryAfterMs', async () => {
    const t = setup({ maxRetryAfterMs: 5000 });
    t.script.push({ status: 429, headers: { 'retry-after': '60' } });
    const error = await t.client.customers.get(C1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(60_000);
    expect(t.api).toHaveLength(1);
    await t.close();
  });

  it('retries a GET on a reset connection up to maxRetries, then throws NetworkError', async () => {
    const t = setup({ maxRetries: 2 });
    const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    t.script.push(reset(), reset(), reset());
    await expect(t.client.customers.get(C1)).rejects.toBeInstanceOf(NetworkError);
    expect(t.api).toHaveLength(3);
    await t.close();
  });
});

describe('billwerk client timeouts', () => {
  it('turns a slow answer into TimeoutError and does not replay a POST', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: '/oauth/token', method: 'POST' })
      .reply(200, { access_token: 'tok', token_type: 'bearer' });
    pool.intercept({ path: '/api/v1/orders', method: 'POST' }).reply(200, {}).delay(2000).persist();
    const calls: UpstreamCallInfo[] = [];
    const client = createBillwerkClient({
      baseUrl: ORIGIN,
      clientId: 'id',
      clientSecret: SECRET,
      dispatcher: agent,
      timeoutMs: 50,
      onResponse: (info) => calls.push(info),
    });
    await expect(client.orders.create({ Cart: {} })).rejects.toBeInstanceOf(TimeoutError);
    expect(calls.filter((c) => c.path === '/orders')).toEqual([
      expect.objectContaining({ method: 'POST', status: 0, attempt: 1 }),
    ]);
    await client.close();
    await agent.close();
  });
});

describe('billwerk client paging', () => {
  it('walks pages with take, then take+1 from the last Id', async () => {
    const t = setup();
    const I = { a: fakeId(10), b: fakeId(11), c: fakeId(12), d: fakeId(13) };
    t.script.push(
      { status: 200, body: [{ Id: I.a }, { Id: I.b }] },
      { status: 200, body: [{ Id: I.b }, { Id: I.c }, { Id: I.d }] },
      { status: 200, body: [{ Id: I.d }] },
    );
    const seen: string[] = [];
    for await (const page of t.client.paginate<{ Id: string }>(
      api`/customers`,
      { search: 'x' },
      { pageSize: 2 },
    )) {
      seen.push(...page.map((c) => c.Id));
    }
    expect(seen).toEqual([I.a, I.b, I.c, I.d]);
    expect(t.api.map((s) => s.path)).toEqual([
      '/api/v1/customers?search=x&take=2',
      `/api/v1/customers?search=x&take=3&from=${I.b}`,
      `/api/v1/customers?search=x&take=3&from=${I.d}`,
    ]);
    await t.close();
  });

  it('rejects a list answer that is not an array of objects with Id', async () => {
    const t = setup();
    t.script.push({ status: 200, body: { Items: [] } });
    await expect(t.client.customers.list()).rejects.toBeInstanceOf(UpstreamError);
    await t.close();
  });
});

describe('billwerk client lifecycle', () => {
  it('validates options without echoing the secret', () => {
    expect(() => createBillwerkClient({ baseUrl: 'ftp://x', clientId: 'id', clientSecret: SECRET })).toThrow(
      /baseUrl/,
    );
    expect(() =>
      createBillwerkClient({ baseUrl: ORIGIN, clientId: 'id', clientSecret: SECRET, timeoutMs: -1 }),
    ).toThrow(/timeoutMs/);
  });

  it('refuses requests after close and closes its own dispatcher', async () => {
    const client = createBillwerkClient({ baseUrl: ORIGIN, clientId: 'id', clientSecret: SECRET });
    await client.close();
    await client.close();
    await expect(client.customers.get(C1)).rejects.toThrow(/closed/);
  });
});
