// Customer tokens whose subject is the customer's external id (JWT_CUSTOMER_ID_KIND=external): resolved
// through billwerk's customer lookup once, then cached; unknown ids are UNAUTHENTICATED.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { customerToken, TEST_JWT_SECRET } from '../helpers/auth.js';
import { postQuery } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { collect, wsClient } from '../helpers/ws.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    registerWebhook: false,
    env: { JWT_SECRET: TEST_JWT_SECRET, JWT_CUSTOMER_ID_KIND: 'external' },
  });
});
afterAll(() => stack.close());

interface MyCustomers {
  customers?: { edges: { node: { billwerkId: string } }[] };
}
const post = (query: string, credential: string) =>
  postQuery<MyCustomers>(stack.graphqlUrl, query, {}, { credential });

const lookups = () => stack.emulator.requests.count({ path: /^\/api\/v1\/customers$/ });
const MY_CUSTOMERS = '{ customers { edges { node { billwerkId } } } }';

describe('a token naming an external customer id', () => {
  it('sees that customer only, and looks the id up once', async () => {
    const token = await customerToken('cust-1001');
    stack.emulator.requests.reset();
    for (let i = 0; i < 3; i += 1) {
      const { status, data } = await post(MY_CUSTOMERS, token);
      expect(status).toBe(200);
      expect(data?.customers?.edges.map((e) => e.node.billwerkId)).toEqual([SEED_IDS.customers.ada]);
    }
    const lookupsByExternalId = stack.emulator.requests
      .list()
      .filter((r) => r.path === '/api/v1/customers' && r.query.includes('externalId=cust-1001'));
    expect(lookupsByExternalId).toHaveLength(1);
    expect(lookups()).toBeGreaterThanOrEqual(1);
  });

  it('an external id no customer has is UNAUTHENTICATED (HTTP 401, graphql-ws 4403)', async () => {
    const token = await customerToken('cust-9999');
    const { status, codes } = await post(MY_CUSTOMERS, token);
    expect(status).toBe(401);
    expect(codes).toEqual(['UNAUTHENTICATED']);

    const client = wsClient(stack.graphqlUrl, { credential: token });
    const sub = collect(client, 'subscription { billwerkEvents { cursor } }');
    expect(((await sub.failed) as { code?: number }).code).toBe(4403);
    await client.dispose();
  });

  it('a billwerk customer id is not taken for an external id', async () => {
    const token = await customerToken(SEED_IDS.customers.ada);
    expect((await post(MY_CUSTOMERS, token)).status).toBe(401);
  });
});
