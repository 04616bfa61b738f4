// Query limits on HTTP and graphql-ws: each refuses its attack document with QUERY_TOO_COMPLEX, including
// the known bypasses (fragments hiding depth or cost, a fragment named __schema), and accepts normal queries.
import { bearer } from '../helpers/auth.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { collect, wsClient } from '../helpers/ws.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ registerWebhook: false });
});
afterAll(() => stack.close());

async function post(
  query: string,
): Promise<{ status: number; codes: unknown[]; errors: { message: string }[] }> {
  const response = await fetch(stack.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: bearer(stack.adminKey) },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  return {
    status: response.status,
    codes: (body.errors ?? []).map((e) => e.extensions?.code),
    errors: body.errors ?? [],
  };
}

const ATTACKS: [string, string][] = [
  ['depth 7', `{ customers { edges { node { contracts { customer { contracts { billwerkId } } } } } } }`],
  [
    'depth hidden in fragments',
    `query { customers { ...A } } fragment A on CustomerConnection { edges { ...B } }
     fragment B on CustomerEdge { node { contracts { customer { contracts { customer { billwerkId } } } } } }`,
  ],
  [
    'depth hidden in a fragment named __schema',
    `query { customers { ...__schema } } fragment __schema on CustomerConnection {
       edges { node { contracts { customer { contracts { customer { billwerkId } } } } } } }`,
  ],
  ['16 aliases', `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: planGroups { name }`).join(' ')} }`],
  ['51 directives', `{ planGroups { name ${'@include(if: true) '.repeat(51)} } }`],
  ['1001 tokens', `{ ${'planGroups { name } '.repeat(250)} }`],
  ['15,001 characters', `{ planGroups { name } ${' '.repeat(15_000)} }`],
  [
    'cost hidden in repeated fragment spreads',
    `{ customers { ...C } } fragment C on CustomerConnection { edges { node { ${Array.from(
      { length: 14 },
      (_, i) => `c${i}: contracts { ...K }`,
    ).join(
      ' ',
    )} } } } fragment K on Contract { ${Array.from({ length: 60 }, () => 'billwerkId').join(' ')} customer { billwerkId } }`,
  ],
];

describe('query limits over HTTP', () => {
  it.each(ATTACKS)('refuses %s with QUERY_TOO_COMPLEX', async (_name, query) => {
    const result = await post(query);
    expect(result.codes).toContain('QUERY_TOO_COMPLEX');
    expect(result.status).toBe(400);
  });

  it('accepts a normal query, and introspection beyond depth 6', async () => {
    const normal = await post(
      '{ customers(first: 2) { edges { node { billwerkId contracts { billwerkId customer { billwerkId } } } } } }',
    );
    expect(normal.errors).toEqual([]);
    const introspection = await post(
      '{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }',
    );
    expect(introspection.errors).toEqual([]);
  });
});

describe('query limits over graphql-ws', () => {
  it('refuses an over-deep subscription and an oversized document with QUERY_TOO_COMPLEX', async () => {
    const client = wsClient(stack.graphqlUrl);
    for (const query of [
      'subscription { billwerkEvents { contract { customer { contracts { customer { contracts { customer { billwerkId } } } } } } } }',
      `subscription { billwerkEvents { cursor ${' '.repeat(15_000)} } }`,
    ]) {
      const sub = collect(client, query);
      const errors = (await sub.failed) as { extensions?: { code?: string } }[];
      expect(errors.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    }
    await client.dispose();
  });
});
