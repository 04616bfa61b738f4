// Trusted documents and persisted queries: automatic persisted queries (miss, register, hit); a partner
// key in allow-list mode runs the SDK's operations (as text or by hash, over HTTP and graphql-ws) and is
// refused anything else, before any billwerk call.
import { createHash } from 'node:crypto';
import { CatalogueDocument, CustomerDocument } from '../../sdk/generated/graphql.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { loadTrustedDocuments } from '../../src/server/trusted-documents.js';
import { apiKey } from '../helpers/auth.js';
import { postGraphQL } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { collect, subscribeLive, wsClient } from '../helpers/ws.js';

const PINNED = 'pinned-partner-key-0123456789abcdef';
const FREE = 'free-partner-key-0123456789abcdef';
const ADA = SEED_IDS.customers.ada;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: {
      RECONCILE_INTERVAL_MS: '0',
      API_KEYS: JSON.stringify([
        {
          ...apiKey(PINNED, { id: 'pinned', role: 'partner', customers: [ADA] }),
          trustedDocumentsOnly: true,
        },
        apiKey(FREE, { id: 'free', role: 'partner', customers: [ADA] }),
      ]),
    },
  });
});
afterAll(() => stack.close());

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A raw GraphQL POST, for bodies the SDK does not send (hash only). */
const post = (credential: string, body: Record<string, unknown>) =>
  postGraphQL(stack.graphqlUrl, body, { credential });

const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('persisted queries', () => {
  it('answers a hash it does not know with PERSISTED_QUERY_NOT_FOUND, then serves it once registered', async () => {
    const query = `{ planGroups { name currency } }`;
    const hash = sha256(query);
    const miss = await post(stack.adminKey, { extensions: persisted(hash) });
    expect(miss.codes[0]).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await post(stack.adminKey, { query, extensions: persisted(hash) });
    expect(register.data).toEqual({ planGroups: [{ name: 'Demo SaaS', currency: 'EUR' }] });
    const hit = await post(stack.adminKey, { extensions: persisted(hash) });
    expect(hit.status).toBe(200);
    expect(hit.data).toEqual(register.data);
  });
});

describe('an API key in allow-list mode', () => {
  const trusted = loadTrustedDocuments('sdk/operations');

  it('runs the SDK operations, sent as text by the SDK or as a trusted hash alone', async () => {
    const pinned = stack.sdkAs(PINNED);
    const { customer } = await pinned.request(CustomerDocument, { id: ADA });
    expect(customer?.billwerkId).toBe(ADA);
    const catalogueData = await pinned.request(CatalogueDocument);
    expect(catalogueData.planGroups.length).toBeGreaterThan(0);

    const catalogue = trusted.operations.find((o) => o.name === 'Catalogue')!;
    // Never registered through APQ: the gateway knows the SDK's operations by hash from the start.
    const byHash = await post(PINNED, { extensions: persisted(catalogue.hash) });
    expect(byHash.errors).toEqual([]);
    expect(byHash.data).toEqual(catalogueData);
  });

  it('is refused any other document with OPERATION_NOT_ALLOWED before billwerk is called', async () => {
    stack.emulator.requests.reset();
    const other = await post(PINNED, { query: `{ customers(first: 100) { edges { node { id } } } }` });
    expect(other.status).toBe(403);
    expect(other.codes[0]).toBe('OPERATION_NOT_ALLOWED');

    // The SDK's Customer query with one more field is not the trusted one.
    const customer = trusted.operations.find((o) => o.name === 'Customer')!;
    const widened = customer.query.replace('billwerkId', 'billwerkId\n    notes: __typename');
    expect(widened).not.toBe(customer.query);
    const changed = await post(PINNED, { query: widened, variables: { id: ADA } });
    expect(changed.codes[0]).toBe('OPERATION_NOT_ALLOWED');
    // A hash nobody trusts cannot be registered by such a key either.
    const query = '{ planGroups { name } }';
    const registered = await post(PINNED, { query, extensions: persisted(sha256(query)) });
    expect(registered.codes[0]).toBe('OPERATION_NOT_ALLOWED');
    expect(stack.emulator.requests.count()).toBe(0);

    // A key without the mode runs what it likes, within its scope.
    const free = await stack
      .sdkAs(FREE)
      .raw.request<{ customer: { id: string } }>(`{ customer(id: "${ADA}") { id } }`);
    expect(free.customer.id).toBe(`gid://billwerk/Customer/${ADA}`);
  });

  it('is refused an oversized document by its size, before the allow-list parses it', async () => {
    // 15,001 characters: the document limit refuses it unread, whoever sends it.
    const query = `{ planGroups { name } }${' '.repeat(15_001 - '{ planGroups { name } }'.length)}`;
    expect(query).toHaveLength(15_001);
    const refused = await post(PINNED, { query });
    expect(refused.codes).toEqual(['QUERY_TOO_COMPLEX']);
  });
});

describe('an allow-list key over graphql-ws', () => {
  it('subscribes with a trusted operation and is refused any other', async () => {
    const trustedOps = loadTrustedDocuments('sdk/operations');
    const contractChanges = trustedOps.operations.find((o) => o.name === 'ContractChanges')!;
    const allowed = await subscribeLive(
      stack.graphqlUrl,
      stack.gateway.events.hub,
      contractChanges.query,
      { customerId: ADA },
      { credential: PINNED },
    );
    const client = wsClient(stack.graphqlUrl, { credential: PINNED });
    const refused = collect(client, `subscription { billwerkEvents { event } }`);
    const errors = (await refused.failed) as { extensions?: { code?: string } }[];
    expect(errors[0]?.extensions?.code).toBe('OPERATION_NOT_ALLOWED');
    // The trusted one runs: an event of the partner's customer reaches it.
    const contract = SEED_IDS.contracts.adaBasicMonthly;
    expect(await stack.postWebhook({ Event: 'ContractChanged', ContractId: contract, CustomerId: ADA })).toBe(
      202,
    );
    await allowed.waitFor(1);
    await allowed.close();
    await client.dispose();
  });
});
