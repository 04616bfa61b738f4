// Authentication and scope end to end: partner keys, customer tokens (HS256 and JWKS), anonymous callers,
// over real HTTP and real graphql-ws against the emulator.
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { apiKey, customerToken, TEST_JWT_SECRET } from '../helpers/auth.js';
import { errorOf, signupNew } from '../helpers/mutations.js';
import { postQuery } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { collect, subscribeLive, wsClient } from '../helpers/ws.js';

const PARTNER_A = 'partner-a-key-0123456789abcdef';
const PARTNER_B = 'partner-b-key-0123456789abcdef';
const { customers: C, contracts: K } = SEED_IDS;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: {
      JWT_SECRET: TEST_JWT_SECRET,
      API_KEYS: JSON.stringify([
        apiKey(PARTNER_A, { id: 'a', role: 'partner', customers: [C.ada, C.grace] }),
        apiKey(PARTNER_B, { id: 'b', role: 'partner', customers: [C.alan] }),
      ]),
    },
  });
});
afterAll(() => stack.close());

/** A raw GraphQL POST as `credential` (none: anonymous). */
const post = (query: string, variables: Record<string, unknown> = {}, credential?: string) =>
  postQuery(stack.graphqlUrl, query, variables, { credential });

const ids = (edges: unknown) =>
  (edges as { edges: { node: { billwerkId: string } }[] }).edges.map((e) => e.node.billwerkId);

describe('credentials', () => {
  it('refuses a request without credentials with UNAUTHENTICATED (HTTP 401)', async () => {
    const r = await post('{ planGroups { name } }');
    expect(r.status).toBe(401);
    expect(r.codes).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses an unknown key, an expired token and a wrongly signed token, echoing none', async () => {
    const expired = await customerToken(C.ada, { expiresAt: new Date(Date.now() - 1000) });
    const forged = await customerToken(C.ada, { secret: `${TEST_JWT_SECRET}-forged` });
    for (const credential of ['unknown-key-0123456789abcdef', expired, forged]) {
      const r = await post('{ planGroups { name } }', {}, credential);
      expect(r.status).toBe(401);
      expect(r.codes).toEqual(['UNAUTHENTICATED']);
      expect(JSON.stringify([r.data, r.errors])).not.toContain(credential);
    }
  });

  it('refuses a graphql-ws connection without valid credentials (4403)', async () => {
    for (const credential of [null, 'unknown-key-0123456789abcdef']) {
      const client = wsClient(stack.graphqlUrl, { credential });
      const sub = collect(client, 'subscription { billwerkEvents { cursor } }');
      const error = (await sub.failed) as { code?: number };
      expect(error.code).toBe(4403);
      await client.dispose();
    }
  });
});

describe('a partner', () => {
  const CUSTOMER = 'query($id: ID!) { customer(id: $id) { billwerkId } }';

  it('reads its own customers, and another partner’s are NOT_FOUND as if missing', async () => {
    expect((await post(CUSTOMER, { id: C.ada }, PARTNER_A)).data).toEqual({
      customer: { billwerkId: C.ada },
    });
    const foreign = await post(CUSTOMER, { id: C.alan }, PARTNER_A);
    const missing = await post(CUSTOMER, { id: '65f0000000000000000008ff' }, PARTNER_A);
    expect(foreign.codes).toEqual(['NOT_FOUND']);
    expect(foreign.errors?.[0]?.message).toBe(`Customer ${C.alan} was not found.`);
    expect(missing.codes).toEqual(['NOT_FOUND']);
    for (const q of [
      `{ node(id: "gid://billwerk/Customer/${C.alan}") { id } }`,
      `{ contract(id: "${K.alanProTrial}") { billwerkId } }`,
      `{ node(id: "gid://billwerk/Contract/${K.alanProTrial}") { id } }`,
    ]) {
      expect((await post(q, {}, PARTNER_A)).codes).toEqual(['NOT_FOUND']);
    }
  });

  it('lists only its own customers, contracts and invoices', async () => {
    // Two documents: all four lists in one would pass the cost limit.
    const lists = await post(
      `{ customers(first: 100) { edges { node { billwerkId } } }
         contracts(first: 100) { edges { node { billwerkId customer { billwerkId } } } } }`,
      {},
      PARTNER_A,
    );
    const more = await post(
      `{ invoices(first: 100) { edges { node { billwerkId customer { billwerkId } } } }
         foreign: contracts(customerId: "${C.alan}") { edges { node { billwerkId } } } }`,
      {},
      PARTNER_A,
    );
    expect(lists.errors).toEqual([]);
    expect(more.errors).toEqual([]);
    const data = { ...lists.data, ...more.data } as Record<
      string,
      { edges: { node: { customer?: { billwerkId: string } } }[] }
    >;
    expect(ids(data.customers).sort()).toEqual([C.ada, C.grace].sort());
    expect(ids(data.contracts).sort()).toEqual([K.adaBasicMonthly, K.graceProYearly].sort());
    for (const list of [data.contracts!, data.invoices!]) {
      for (const edge of list.edges) expect([C.ada, C.grace]).toContain(edge.node.customer?.billwerkId);
    }
    expect(data.invoices!.edges.length).toBeGreaterThan(0);
    expect(data.foreign!.edges).toEqual([]);
  });

  it('is refused a foreign contract in a mutation with NOT_FOUND, before any billwerk write', async () => {
    const writes = stack.emulator.requests.count({ method: 'POST' });
    const r = await post(
      'mutation($input: TerminateContractInput!) { terminateContract(input: $input) { endDate } }',
      { input: { contractId: K.alanProTrial, idempotencyKey: 'partner-a-foreign-1' } },
      PARTNER_A,
    );
    expect(r.codes).toEqual(['NOT_FOUND']);
    expect(stack.emulator.requests.count({ method: 'POST' })).toBe(writes);
  });

  it('sees the customers it signs up, and the other partner does not', async () => {
    const { customer } = await signupNew(stack.sdkAs(PARTNER_B));
    expect((await post(CUSTOMER, { id: customer.billwerkId }, PARTNER_B)).data).toEqual({
      customer: { billwerkId: customer.billwerkId },
    });
    const list = await post('{ customers { edges { node { billwerkId } } } }', {}, PARTNER_B);
    expect(ids(list.data!.customers)).toContain(customer.billwerkId);
    expect((await post(CUSTOMER, { id: customer.billwerkId }, PARTNER_A)).codes).toEqual(['NOT_FOUND']);
  });

  it('receives only its customers’ events', async () => {
    const query = 'subscription { billwerkEvents(types: ["ScopeProbe"]) { customerId payload } }';
    const a = await subscribeLive<{ billwerkEvents: { customerId: string } }>(
      stack.graphqlUrl,
      stack.gateway.events.hub,
      query,
      {},
      { credential: PARTNER_A },
    );
    const b = await subscribeLive<{ billwerkEvents: { customerId: string } }>(
      stack.graphqlUrl,
      stack.gateway.events.hub,
      query,
      {},
      { credential: PARTNER_B },
    );
    for (const customer of [C.alan, C.ada, C.katherine, C.grace]) {
      await stack.postWebhook({ Event: 'ScopeProbe', CustomerId: customer });
    }
    const fromA = await a.waitFor(2);
    const fromB = await b.waitFor(1);
    expect(fromA.map((e) => e.billwerkEvents.customerId)).toEqual([C.ada, C.grace]);
    expect(fromB.map((e) => e.billwerkEvents.customerId)).toEqual([C.alan]);
    await a.close();
    await b.close();
  });
});

describe('a customer token', () => {
  it('reads its own customer, contracts and invoices only', async () => {
    const token = await customerToken(C.ada);
    const r = await post(
      `{ customer(id: "${C.ada}") { billwerkId contracts { billwerkId } }
         contracts { edges { node { billwerkId } } }
         invoices { edges { node { customer { billwerkId } } } }
         customers { edges { node { billwerkId } } } }`,
      {},
      token,
    );
    expect(r.errors).toEqual([]);
    const data = r.data as Record<string, unknown>;
    expect(ids(data.customers)).toEqual([C.ada]);
    expect(ids(data.contracts)).toEqual([K.adaBasicMonthly]);
    const invoices = (data.invoices as { edges: { node: { customer: { billwerkId: string } } }[] }).edges;
    expect(invoices.length).toBeGreaterThan(0);
    expect(new Set(invoices.map((e) => e.node.customer.billwerkId))).toEqual(new Set([C.ada]));
    expect((await post(`{ contract(id: "${K.graceProYearly}") { billwerkId } }`, {}, token)).codes).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('is refused admin mutations and mutations outside CUSTOMER_MUTATIONS with FORBIDDEN', async () => {
    const token = await customerToken(C.ada);
    const input = { contractId: K.adaBasicMonthly, idempotencyKey: 'customer-annul-1' };
    const annul = await post(
      'mutation($input: AnnulContractInput!) { annulContract(input: $input) { contract { billwerkId } } }',
      { input },
      token,
    );
    expect(annul.codes).toEqual(['FORBIDDEN']);
    const error = await errorOf(signupNew(stack.sdkAs(token)));
    expect(error.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const foreign = await post(
      'mutation($input: TerminateContractInput!) { terminateContract(input: $input) { endDate } }',
      { input: { contractId: K.graceProYearly, idempotencyKey: 'customer-foreign-1' } },
      token,
    );
    expect(foreign.codes).toEqual(['NOT_FOUND']);
  });

  it('receives only its own events, and its socket is closed (4403) when the token expires', async () => {
    const token = await customerToken(C.grace, { expiresAt: new Date(Date.now() + 3000) });
    let closed!: (code: number) => void;
    const closedWith = new Promise<number>((resolve) => (closed = resolve));
    const sub = await subscribeLive<{ billwerkEvents: { customerId: string } }>(
      stack.graphqlUrl,
      stack.gateway.events.hub,
      'subscription { billwerkEvents(types: ["OwnProbe"]) { customerId } }',
      {},
      { credential: token, on: { closed: (event) => closed((event as { code: number }).code) } },
    );
    await stack.postWebhook({ Event: 'OwnProbe', CustomerId: C.ada });
    await stack.postWebhook({ Event: 'OwnProbe', CustomerId: C.grace });
    expect((await sub.waitFor(1)).map((e) => e.billwerkEvents.customerId)).toEqual([C.grace]);
    expect(await closedWith).toBe(4403);
    await sub.close();
  });
});

describe('customer tokens from a JWKS', () => {
  let jwks: Server;
  let jwksStack: Stack;
  let sign: (customerId: string) => Promise<string>;
  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    jwksStack = await startStack({
      registerWebhook: false,
      env: {
        JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
        JWT_ISSUER: 'https://id.example.test',
        JWT_AUDIENCE: 'billwerk-gateway',
      },
    });
    sign = (customerId) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setSubject(customerId)
        .setIssuer('https://id.example.test')
        .setAudience('billwerk-gateway')
        .setExpirationTime('10m')
        .sign(privateKey);
  });
  afterAll(async () => {
    await jwksStack.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('accepts a token signed by a key of the JWKS', async () => {
    const { customer } = await jwksStack.sdkAs(await sign(C.edsger)).raw.request<{
      customer: { billwerkId: string };
    }>(`{ customer(id: "${C.edsger}") { billwerkId } }`);
    expect(customer.billwerkId).toBe(C.edsger);
  });
});
