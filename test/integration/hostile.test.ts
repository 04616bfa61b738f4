// A hostile caller against the real gateway and emulator over HTTP: every value that names a billwerk
// resource is parsed before any REST call, so dot segments, encodings and oversized text are refused with a
// clear code, and the emulator's request log shows no call outside the resource named (or none at all).
import fc from 'fast-check';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { customerToken, TEST_JWT_SECRET } from '../helpers/auth.js';
import { postQuery, type GraphQLAnswer } from '../helpers/http.js';
import { bid } from '../helpers/ids.js';
import { startStack, type Stack } from '../helpers/stack.js';

const post = (stack: Stack, query: string, variables: Record<string, unknown>, credential: string) =>
  postQuery<Record<string, unknown>>(stack.graphqlUrl, query, variables, { credential });

/** The REST calls the emulator answered under /api/v1 since the last reset (the OAuth exchange aside). */
const restCalls = (stack: Stack): string[] =>
  stack.emulator.requests
    .list()
    .filter((r) => r.path.toLowerCase().startsWith('/api/v1'))
    .map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ''}`);

/** Dot segments (plain and encoded), traversal, separators, controls, unicode and sheer size. */
const HOSTILE_IDS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '../../oauth/token',
  `${SEED_IDS.contracts.adaBasicMonthly}/..`,
  `${SEED_IDS.contracts.adaBasicMonthly}%2f..`,
  `${SEED_IDS.contracts.adaBasicMonthly}?take=500`,
  `${SEED_IDS.contracts.adaBasicMonthly}#x`,
  'gid://billwerk/Contract/..',
  'gid://billwerk/Contract/.',
  'gid://billwerk/Contract/%2e%2e',
  'gid://billwerk/Contract/',
  `gid://billwerk/Contract/${SEED_IDS.contracts.adaBasicMonthly}/..`,
  'abc\u0000def',
  '６５ｆ０００００００００００００００００００９０１',
  'x'.repeat(10_000),
  '',
];

/** Every root field that takes an id, the id sent as the variable `$v` (typed as the field expects). */
const ID_FIELDS: { name: string; query: string; resource: RegExp }[] = [
  {
    name: 'contract(id:)',
    query: 'query($v: ID!) { contract(id: $v) { id } }',
    resource: /^\/contracts\/[0-9a-f]{24}$/,
  },
  {
    name: 'customer(id:)',
    query: 'query($v: ID!) { customer(id: $v) { id } }',
    resource: /^\/customers\/[0-9a-f]{24}$/,
  },
  {
    name: 'invoice(id:)',
    query: 'query($v: ID!) { invoice(id: $v) { id } }',
    resource: /^\/invoices\/[0-9a-f]{24}$/,
  },
  {
    name: 'node(id:)',
    query: 'query($v: ID!) { node(id: $v) { id } }',
    resource: /^\/\w+\/[0-9a-f]{24}$/,
  },
  {
    name: 'planVariant(id:)',
    query: 'query($v: ID!) { planVariant(id: $v) { id } }',
    resource: /^\/(productInfo|planVariants\/[0-9a-f]{24})$/,
  },
  {
    name: 'contracts(customerId:)',
    query: 'query($v: ID) { contracts(customerId: $v, first: 5) { edges { cursor } } }',
    resource: /^\/customers\/[0-9a-f]{24}\/contracts$/,
  },
  {
    name: 'invoices(contractId:)',
    query: 'query($v: ID) { invoices(contractId: $v, first: 5) { edges { cursor } } }',
    resource: /^\/(contracts\/[0-9a-f]{24}|invoices)$/,
  },
  {
    name: 'invoices(customerId:)',
    query: 'query($v: ID) { invoices(customerId: $v, first: 5) { edges { cursor } } }',
    resource: /^\/invoices$/,
  },
  {
    name: 'plans(planGroupId:)',
    query: 'query($v: ID) { plans(planGroupId: $v) { id } }',
    resource: /^\/productInfo$/,
  },
  {
    name: 'planVariants(planId:)',
    query: 'query($v: ID) { planVariants(planId: $v) { id } }',
    resource: /^\/productInfo$/,
  },
  {
    name: 'previewTermination(contractId:)',
    query: 'query($v: ID!) { previewTermination(input: { contractId: $v }) { endDate } }',
    resource: /^\/contracts\/[0-9a-f]{24}(\/cancellationPreview)?$/,
  },
  {
    name: 'contracts(after:)',
    query: 'query($v: String) { contracts(first: 5, after: $v) { edges { cursor } } }',
    resource: /^\/contracts$/,
  },
];

let stack: Stack;
beforeAll(async () => {
  // No reconciliation sweeps: the request log then holds only the calls the probes cause.
  stack = await startStack({
    registerWebhook: false,
    env: { JWT_SECRET: TEST_JWT_SECRET, RECONCILE_INTERVAL_MS: '0' },
  });
});
afterAll(() => stack.close());

/** Runs one field with one value and checks the promise: a clear code, no 5xx, no call outside the resource. */
async function probe(field: (typeof ID_FIELDS)[number], value: string): Promise<GraphQLAnswer> {
  stack.emulator.requests.reset();
  const answer = await post(stack, field.query, { v: value }, stack.adminKey);
  expect(answer.status).toBeLessThan(500);
  for (const error of answer.errors) {
    expect(['BAD_USER_INPUT', 'NOT_FOUND']).toContain(error.extensions?.code);
    expect(error.message).not.toMatch(/\n\s+at /);
  }
  for (const call of restCalls(stack)) {
    const [method, target = ''] = call.split(' ');
    expect(method).toBe('GET');
    const path = target.split('?')[0]!.replace(/^\/api\/v1/i, '');
    expect(path).toMatch(field.resource);
  }
  return answer;
}

describe('ids from outside', () => {
  it.each(ID_FIELDS)('$name refuses dot segments, encodings and junk before any REST call', async (field) => {
    for (const value of HOSTILE_IDS) {
      const answer = await probe(field, value);
      expect({ value, codes: answer.errors.map((e) => e.extensions?.code) }).toEqual({
        value,
        codes: ['BAD_USER_INPUT'],
      });
      expect({ value, calls: restCalls(stack) }).toEqual({ value, calls: [] });
    }
  });

  it('an arbitrary string in any id argument never reaches a path outside the resource it names', async () => {
    // Mostly junk (refused before any call), sometimes a well-formed unknown id (one call to its resource).
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom(...HOSTILE_IDS),
      fc.stringMatching(/^[0-9a-f]{24}$/),
      fc.stringMatching(/^[0-9a-f]{24}$/).map((id) => `gid://billwerk/Contract/${id}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ID_FIELDS), value, async (field, id) => {
        await probe(field, id);
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe('a customer token', () => {
  it('whose customer claim is not a billwerk id is refused before any REST call', async () => {
    for (const sub of [
      '..',
      '.',
      '%2e%2e',
      '../contracts',
      `${SEED_IDS.customers.ada}/..`,
      'x'.repeat(300),
    ]) {
      stack.emulator.requests.reset();
      const answer = await post(
        stack,
        '{ contracts(first: 50) { edges { node { id } } } }',
        {},
        await customerToken(sub),
      );
      expect({ sub, code: answer.errors[0]?.extensions?.code }).toEqual({ sub, code: 'UNAUTHENTICATED' });
      expect(restCalls(stack)).toEqual([]);
    }
  });

  it("sees only its own contracts even when billwerk's answer for its list holds another's", async () => {
    const own = await stack.billwerk.contracts.get(bid(SEED_IDS.contracts.adaBasicMonthly));
    const foreign = await stack.billwerk.contracts.get(bid(SEED_IDS.contracts.graceProYearly));
    stack.emulator.faults.inject({
      method: 'GET',
      path: `/api/v1/customers/${SEED_IDS.customers.ada}/contracts`,
      status: 200,
      body: [own, foreign],
    });
    stack.emulator.requests.reset();
    try {
      const answer = await post(
        stack,
        '{ contracts(first: 50) { edges { node { id customer { id } } } } }',
        {},
        await customerToken(SEED_IDS.customers.ada),
      );
      expect(answer.errors).toEqual([]);
      expect(
        stack.emulator.requests.count({ path: `/api/v1/customers/${SEED_IDS.customers.ada}/contracts` }),
      ).toBe(1);
      const edges = (answer.data?.contracts as { edges: { node: { id: string } }[] }).edges;
      expect(edges.map((e) => e.node.id)).toEqual([
        `gid://billwerk/Contract/${SEED_IDS.contracts.adaBasicMonthly}`,
      ]);
    } finally {
      stack.emulator.faults.clear();
    }
  });
});

describe('search text', () => {
  it('longer than 200 characters is refused before any REST call; shorter text travels as a query value', async () => {
    stack.emulator.requests.reset();
    const query = 'query($s: String) { customers(search: $s, first: 5) { edges { cursor } } }';
    for (const s of ['a'.repeat(201), 'x'.repeat(900_000)]) {
      const answer = await post(stack, query, { s }, stack.adminKey);
      expect(answer.status).toBeLessThan(500);
      expect(answer.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(restCalls(stack)).toEqual([]);

    const answer = await post(stack, query, { s: '../../contracts' }, stack.adminKey);
    expect(answer.errors).toEqual([]);
    expect(restCalls(stack)).toEqual(['GET /api/v1/customers?search=..%2F..%2Fcontracts&take=6']);
  });
});

describe('metrics', () => {
  /** Series in the scrape: every sample line (comments aside). */
  const seriesIn = async (): Promise<string[]> => {
    const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => line.replace(/ [^ ]+$/, ''));
  };
  /** Ten ids per request, each as its own aliased field, so a request costs ten lookups. */
  const lookup = (ids: string[]) =>
    post(
      stack,
      `query Lookup(${ids.map((_, i) => `$v${i}: ID!`).join(', ')}) { ${ids.map((_, i) => `c${i}: contract(id: $v${i}) { id }`).join(' ')} }`,
      Object.fromEntries(ids.map((id, i) => [`v${i}`, id])),
      stack.adminKey,
    );
  const unknownId = (n: number) => `6600${n.toString(16).padStart(20, '0')}`;

  it('10,000 distinct hostile ids leave the number of series unchanged', async () => {
    // Every outcome and upstream status the flood can cause, once, so the baseline has their series.
    await lookup([unknownId(0), '..', ...Array.from({ length: 8 }, (_, i) => unknownId(i + 1))]);
    await lookup(Array.from({ length: 10 }, (_, i) => `junk-${i}`));
    await lookup(Array.from({ length: 10 }, (_, i) => unknownId(100 + i)));
    const before = await seriesIn();

    for (let batch = 0; batch < 1000; batch += 1) {
      // Half malformed (refused before a call), half well-formed unknown ids (one call each, 404).
      const ids = Array.from({ length: 10 }, (_, i) => {
        const n = batch * 10 + i;
        return n % 2 === 0 ? `${n}/../customers-${n}` : unknownId(1000 + n);
      });
      const answer = await lookup(ids);
      expect(answer.status).toBe(200);
    }
    const after = await seriesIn();
    expect(after.length).toBe(before.length);
    expect(after.filter((line) => line.includes('6600'))).toEqual([]);
  }, 180_000);
});
