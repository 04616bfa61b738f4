// What a query costs upstream, counted at the emulator: batching and caching must bring a page of
// contracts with their customers and plan variants down to the minimum number of REST calls.
import { gql } from 'graphql-request';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { apiCalls } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { bid } from '../helpers/ids.js';

const CONTRACTS_WITH_RELATIONS = gql`
  query ContractsPage($first: Int!) {
    contracts(first: $first) {
      edges {
        node {
          id
          customer {
            id
            displayName
          }
          planVariant {
            id
            name
            plan {
              name
            }
          }
        }
      }
    }
  }
`;

interface PageResult {
  contracts: {
    edges: { node: { id: string; customer: { id: string } | null; planVariant: { id: string } | null } }[];
  };
}

let stack: Stack;
beforeAll(async () => {
  // No webhook registration: enrichment of the signups' events would add calls of its own to the count.
  stack = await startStack({ registerWebhook: false });
  // More contracts than one page, each with a customer of its own.
  for (let i = 0; i < 14; i += 1) {
    const order = await stack.billwerk.orders.create({
      Customer: { FirstName: 'Count', LastName: `Me ${i}`, EmailAddress: `count${i}@example.com` },
      Cart: { PlanVariantId: SEED_IDS.planVariants.free },
    });
    await stack.billwerk.orders.commit(bid(order.Id));
  }
});
afterAll(() => stack.close());

function distinctCustomers(result: PageResult): number {
  return new Set(result.contracts.edges.map((e) => e.node.customer?.id)).size;
}

describe('upstream calls per query', () => {
  it('a page of N contracts with customer and plan variant costs 1 + distinct customers + 1', async () => {
    stack.gateway.cache.invalidateKind('Catalogue');
    stack.emulator.requests.reset();
    const result = await stack.sdk.raw.request<PageResult>(CONTRACTS_WITH_RELATIONS, { first: 10 });
    expect(result.contracts.edges).toHaveLength(10);
    const customers = distinctCustomers(result);
    // 1 page of contracts (take = first + 1) + one GET per distinct customer (billwerk has no multi-id
    // read) + one GET /productInfo that answers every plan variant and plan at once.
    const minimum = 1 + customers + 1;
    expect(apiCalls(stack)).toBe(minimum);
    expect(stack.emulator.requests.count({ path: /^\/api\/v1\/customers\/[0-9a-f]{24}$/ })).toBe(customers);
    expect(stack.emulator.requests.count({ path: /^\/api\/v1\/productInfo$/i })).toBe(1);
  });

  it('asked again within the cache TTL, only the page itself is read', async () => {
    await stack.sdk.raw.request<PageResult>(CONTRACTS_WITH_RELATIONS, { first: 10 });
    stack.emulator.requests.reset();
    await stack.sdk.raw.request<PageResult>(CONTRACTS_WITH_RELATIONS, { first: 10 });
    expect(apiCalls(stack)).toBe(1);
  });

  it('50 concurrent identical queries cost fewer calls than 50 times one', async () => {
    stack.gateway.cache.invalidateKind('Catalogue');
    stack.gateway.cache.invalidateKind('Customer');
    stack.emulator.requests.reset();
    const single = await stack.sdk.raw.request<PageResult>(CONTRACTS_WITH_RELATIONS, { first: 10 });
    const costOfOne = apiCalls(stack);
    expect(costOfOne).toBe(1 + distinctCustomers(single) + 1);

    stack.gateway.cache.invalidateKind('Catalogue');
    stack.gateway.cache.invalidateKind('Customer');
    stack.emulator.requests.reset();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        stack.sdk.raw.request<PageResult>(CONTRACTS_WITH_RELATIONS, { first: 10 }),
      ),
    );
    for (const result of results) expect(result).toEqual(single);
    const costOfFifty = apiCalls(stack);
    expect(costOfFifty).toBeLessThan(50 * costOfOne);
    // Customers and the catalogue are read once for all 50; at most the page itself repeats.
    expect(costOfFifty).toBeLessThanOrEqual(50 + costOfOne - 1);
  });
});
