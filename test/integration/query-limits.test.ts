// Query limits on HTTP and graphql-ws: each refuses its attack document with QUERY_TOO_COMPLEX, including
// the known bypasses (fragments hiding depth or cost, a fragment named __schema, page sizes sent as
// variables, by HTTP, persisted or trusted hash, or graphql-ws), and accepts normal queries.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadTrustedDocuments } from '../../src/server/trusted-documents.js';
import { apiKey } from '../helpers/auth.js';
import { apiCalls, postGraphQL } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { collect, subscribeLive, wsClient } from '../helpers/ws.js';

const PINNED = 'pinned-partner-key-0123456789abcdef';

/** 100 contracts with 100 invoices each costs 20,301: over the budget of 5000 however the 100 arrives. */
const NESTED =
  'query NestedPages($n: Int = 1) { contracts(first: $n) { edges { node { invoices(first: $n) { edges { cursor } } } } } }';
const NESTED_WRITTEN = NESTED.replace('query NestedPages($n: Int = 1)', '').replaceAll('$n', '100');

/** The trusted documents of this stack: the nested pages, small by default. */
let trustedDir: string;
let stack: Stack;
beforeAll(async () => {
  trustedDir = mkdtempSync(path.join(tmpdir(), 'trusted-'));
  writeFileSync(path.join(trustedDir, 'nested.graphql'), NESTED);
  stack = await startStack({
    registerWebhook: false,
    env: {
      TRUSTED_DOCUMENTS_DIR: trustedDir,
      API_KEYS: JSON.stringify([
        { ...apiKey(PINNED, { id: 'pinned', role: 'partner' }), trustedDocumentsOnly: true },
      ]),
    },
  });
  // The readiness probe's first billwerk call is done before REST calls are counted.
  await fetch(`${stack.gateway.url}/readyz`).then((r) => r.text());
});
afterAll(async () => {
  await stack.close();
  rmSync(trustedDir, { recursive: true, force: true });
});

const send = (body: Record<string, unknown>, credential = stack.adminKey) =>
  postGraphQL(stack.graphqlUrl, body, { credential });

const post = (query: string, variables: Record<string, unknown> = {}) => send({ query, variables });

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

describe('the cost budget prices page sizes sent as variables', () => {
  it('refuses over HTTP the page sent as a variable exactly as the page written, with no REST call', async () => {
    stack.emulator.requests.reset();
    const written = await post(NESTED_WRITTEN);
    const sent = await post(NESTED, { n: 100 });
    for (const answer of [written, sent]) {
      expect(answer.status).toBe(400);
      expect(answer.codes).toEqual(['QUERY_TOO_COMPLEX']);
      expect(answer.errors[0]!.message).toMatch(/cost of 20301 /);
    }
    expect(apiCalls(stack)).toBe(0);
    const small = await post(NESTED, { n: 2 });
    expect(small.errors).toEqual([]);
    expect(apiCalls(stack)).toBeGreaterThan(0);
  });

  it('refuses a persisted query sent by its hash with a large page variable, with no REST call', async () => {
    const query = `${NESTED} `;
    const persisted = {
      persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') },
    };
    expect((await send({ query, variables: { n: 1 }, extensions: persisted })).errors).toEqual([]);
    stack.emulator.requests.reset();
    const byHash = await send({ variables: { n: 100 }, extensions: persisted });
    expect(byHash.status).toBe(400);
    expect(byHash.codes).toEqual(['QUERY_TOO_COMPLEX']);
    expect(apiCalls(stack)).toBe(0);
  });

  it("prices a trusted document's page variable, sent by hash by an allow-list key", async () => {
    const { hash } = loadTrustedDocuments(trustedDir).operations[0]!;
    const persisted = { persistedQuery: { version: 1, sha256Hash: hash } };
    expect((await send({ variables: { n: 2 }, extensions: persisted }, PINNED)).errors).toEqual([]);
    stack.emulator.requests.reset();
    const byHash = await send({ variables: { n: 100 }, extensions: persisted }, PINNED);
    expect(byHash.status).toBe(400);
    expect(byHash.codes).toEqual(['QUERY_TOO_COMPLEX']);
    expect(apiCalls(stack)).toBe(0);
  });

  it('refuses over graphql-ws a query and a subscription whose page variable is over the budget', async () => {
    // 60 selections per invoice make a page of 100 invoices cost over 5000 within the depth limit.
    const subscription = `subscription($n: Int = 1) { billwerkEvents { contract { invoices(first: $n) { edges { node { ${'billwerkId '.repeat(60)}} } } } } }`;
    const client = wsClient(stack.graphqlUrl);
    stack.emulator.requests.reset();
    for (const query of [NESTED, subscription]) {
      const errors = (await collect(client, query, { n: 100 }).failed) as {
        extensions?: { code?: string };
      }[];
      expect(errors.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    }
    expect(apiCalls(stack)).toBe(0);
    await client.dispose();
    // The same subscription with small pages is admitted.
    const small = await subscribeLive(stack.graphqlUrl, stack.gateway.events.hub, subscription, { n: 2 });
    await small.close();
  });
});
