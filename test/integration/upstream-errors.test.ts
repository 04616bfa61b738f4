// billwerk failing under the gateway: each failure reaches the client as a GraphQL error with the right
// extensions.code on the right path, with nothing of billwerk's body or the gateway's secrets in it.
import { gql, ClientError } from 'graphql-request';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { startStack, type Stack } from '../helpers/stack.js';

const TWO_CONTRACTS = gql`
  query Two($a: ID!, $b: ID!) {
    a: contract(id: $a) {
      billwerkId
    }
    b: contract(id: $b) {
      billwerkId
    }
  }
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    client: { timeoutMs: 300, maxRetries: 1, retryBaseDelayMs: 1, maxRetryAfterMs: 1000 },
  });
});
afterAll(() => stack.close());
afterEach(() => stack.emulator.faults.clear());

const pathOf = (id: string) => `/api/v1/contracts/${id}`;

async function failingQuery(variables: Record<string, string>) {
  try {
    await stack.sdk.raw.request(TWO_CONTRACTS, variables);
  } catch (error) {
    if (error instanceof ClientError) return error.response;
    throw error;
  }
  throw new Error('expected errors');
}

describe('upstream failures', () => {
  it.each([
    [500, 'UPSTREAM_ERROR'],
    [503, 'UPSTREAM_UNAVAILABLE'],
  ])('billwerk answering %i becomes %s on that field only', async (status, code) => {
    const broken = SEED_IDS.contracts.graceProYearly;
    stack.emulator.faults.inject({
      method: 'GET',
      path: pathOf(broken),
      status,
      body: { Message: 'NullReferenceException at Billing.Core.Secret()' },
    });
    const response = await failingQuery({ a: SEED_IDS.contracts.adaBasicMonthly, b: broken });
    expect(response.data).toEqual({ a: { billwerkId: SEED_IDS.contracts.adaBasicMonthly }, b: null });
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({ path: ['b'], extensions: { code } });
    expect(JSON.stringify(response.errors)).not.toContain('Billing.Core');
  });

  it('a billwerk that does not answer in time becomes UPSTREAM_UNAVAILABLE', async () => {
    stack.emulator.faults.inject({
      method: 'GET',
      path: pathOf(SEED_IDS.contracts.alanProTrial),
      delayMs: 1500,
    });
    const response = await failingQuery({
      a: SEED_IDS.contracts.alanProTrial,
      b: SEED_IDS.contracts.katherineFree,
    });
    expect(response.errors![0]).toMatchObject({ path: ['a'], extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(response.data).toMatchObject({ b: { billwerkId: SEED_IDS.contracts.katherineFree } });
  });

  it('rate limiting becomes RATE_LIMITED with the retry hint', async () => {
    stack.emulator.faults.inject({
      method: 'GET',
      path: pathOf(SEED_IDS.contracts.edsgerBasicEnded),
      status: 429,
      headers: { 'retry-after': '120' },
      body: { Message: 'rate limit exceeded' },
    });
    const response = await failingQuery({
      a: SEED_IDS.contracts.edsgerBasicEnded,
      b: SEED_IDS.contracts.katherineFree,
    });
    expect(response.errors![0]).toMatchObject({
      path: ['a'],
      extensions: { code: 'RATE_LIMITED', retryAfterMs: 120_000 },
    });
  });

  it('the gateway recovers once billwerk does', async () => {
    const id = SEED_IDS.contracts.adaBasicMonthly;
    stack.gateway.cache.invalidate('Contract', id);
    stack.emulator.faults.inject({ method: 'GET', path: pathOf(id), status: 503, times: 1 });
    // One 503 is retried by the client (GET is idempotent), so the caller never sees it.
    const data = await stack.sdk.raw.request<{ a: { billwerkId: string } }>(TWO_CONTRACTS, { a: id, b: id });
    expect(data.a.billwerkId).toBe(id);
  });
});
