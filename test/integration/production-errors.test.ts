// What a refused request tells its caller, over real HTTP and graphql-ws: in production no "Did you mean
// …?" hint anywhere (validation, variable coercion, input objects written or sent), in development the
// hints; the same clear codes on both transports; a subscription sent over HTTP pointed to graphql-ws.
// None of these refusals reaches billwerk.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apiCalls, postQuery } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { collect, wsClient } from '../helpers/ws.js';

let dev: Stack;
let prod: Stack;
beforeAll(async () => {
  [dev, prod] = await Promise.all([
    startStack({ registerWebhook: false }),
    startStack({ registerWebhook: false, env: { GATEWAY_MODE: 'production' } }),
  ]);
  // The readiness probe's first billwerk call is done before REST calls are counted.
  await Promise.all([dev, prod].map((stack) => fetch(`${stack.gateway.url}/readyz`).then((r) => r.text())));
});
afterAll(() => Promise.all([dev?.close(), prod?.close()]));

interface Refusal {
  message: string;
  extensions?: { code?: string };
}

const overHttp = (stack: Stack, query: string, variables: Record<string, unknown> = {}) =>
  postQuery(stack.graphqlUrl, query, variables, { credential: stack.adminKey });

async function overWs(stack: Stack, query: string, variables: Record<string, unknown> = {}) {
  const client = wsClient(stack.graphqlUrl);
  try {
    return (await collect(client, query, variables).failed) as Refusal[];
  } finally {
    await client.dispose();
  }
}

const TERMINATE = 'mutation($i: TerminateContractInput!) { terminateContract(input: $i) { replayed } }';

/** Each misspelling has a near miss graphql would suggest. */
const MISSPELLINGS: [string, string, Record<string, unknown>, string][] = [
  ['a field', '{ planGroup { name } }', {}, 'GRAPHQL_VALIDATION_FAILED'],
  ['a subscription field', 'subscription { billwerkEvent { cursor } }', {}, 'GRAPHQL_VALIDATION_FAILED'],
  ['an enum literal', '{ contracts(status: ACTIV) { edges { cursor } } }', {}, 'GRAPHQL_VALIDATION_FAILED'],
  [
    'an enum variable',
    'query($s: ContractStatus) { contracts(status: $s) { edges { cursor } } }',
    { s: 'ACTIV' },
    'BAD_USER_INPUT',
  ],
  [
    'an input object literal',
    'mutation { terminateContract(input: { contractId: "x", idempotencyKy: "k" }) { replayed } }',
    {},
    'GRAPHQL_VALIDATION_FAILED',
  ],
  ['an input object variable', TERMINATE, { i: { contractId: 'x', idempotencyKy: 'k' } }, 'BAD_USER_INPUT'],
  [
    'a nested input object variable',
    'mutation($i: SignupInput!) { signup(input: $i) { replayed } }',
    { i: { planVariantId: 'x', customer: { firstNam: 'Ada', lastName: 'L', emailAddress: 'a@b.c' } } },
    'BAD_USER_INPUT',
  ],
];

/** The errors of a refused request over each transport (HTTP answers such a refusal 400). */
const TRANSPORTS: [string, typeof overWs][] = [
  [
    'HTTP',
    async (stack, query, variables) => {
      const answer = await overHttp(stack, query, variables);
      expect(answer.status).toBe(400);
      return answer.errors;
    },
  ],
  ['graphql-ws', overWs],
];

describe.each(TRANSPORTS)('schema hints in production over %s', (_transport, refusal) => {
  it.each(MISSPELLINGS)(
    'misspelling %s gets no hint, the code HTTP gives and no REST call',
    async (_name, query, variables, code) => {
      prod.emulator.requests.reset();
      const errors = await refusal(prod, query, variables);
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect(error.message).not.toMatch(/did you mean/i);
        expect(error.extensions?.code).toBe(code);
      }
      expect(apiCalls(prod)).toBe(0);
    },
  );
});

describe('schema hints in development', () => {
  it.each(MISSPELLINGS)(
    'misspelling %s keeps its hint on both transports',
    async (_name, query, variables) => {
      const http = await overHttp(dev, query, variables);
      expect(http.errors.map((e) => e.message).join('\n')).toMatch(/Did you mean/);
      const ws = await overWs(dev, query, variables);
      expect(ws.map((e) => e.message).join('\n')).toMatch(/Did you mean/);
    },
  );
});

describe('a subscription sent over HTTP', () => {
  it('is answered 400 BAD_REQUEST naming graphql-ws, with no REST call', async () => {
    for (const stack of [dev, prod]) {
      stack.emulator.requests.reset();
      const answer = await overHttp(stack, 'subscription { billwerkEvents { cursor } }');
      expect(answer.status).toBe(400);
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors[0]!.extensions?.code).toBe('BAD_REQUEST');
      expect(answer.errors[0]!.message).toMatch(/graphql-ws/);
      expect(answer.errors[0]!.message).toMatch(/ws:\/\/\S*\/graphql/);
      expect(apiCalls(stack)).toBe(0);
    }
  });
});
