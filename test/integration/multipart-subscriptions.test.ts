// Apollo's multipart HTTP subscriptions on POST /graphql, received by Apollo Client 4 with nothing but its
// HttpLink (no WebSocket link): live within a second, resumable by cursor, scoped, refused as HTTP refuses,
// CSRF prevention in force, heartbeats, and a stream the gateway ends at shutdown says so.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { ChangePlanDocument } from '../../sdk/client.js';
import { apiKey, bearer } from '../helpers/auth.js';
import { newKey } from '../helpers/mutations.js';
import { sseClient } from '../helpers/sse.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { collect } from '../helpers/ws.js';

const PARTNER = 'partner-multipart-key-0123456789abcdef';
const { customers: C, contracts: K, planVariants: PV } = SEED_IDS;
const MULTIPART_ACCEPT = 'multipart/mixed;subscriptionSpec="1.0", application/json';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: { API_KEYS: JSON.stringify([apiKey(PARTNER, { id: 'p', role: 'partner', customers: [C.ada] })]) },
  });
});
afterAll(() => stack.close());

const CHANGED = gql`
  subscription Changed($contractId: ID) {
    contractChanged(contractId: $contractId) {
      cursor
      event
      contractId
      contract {
        planVariant {
          billwerkId
        }
      }
    }
  }
`;
const PROBES = gql`
  subscription Probes($after: String) {
    billwerkEvents(types: ["MultipartProbe"], after: $after) {
      cursor
      payload
    }
  }
`;
interface Probe {
  billwerkEvents: { cursor: string; payload: { N: number } };
}

function apolloClient(credential: string | null = stack.adminKey) {
  return new ApolloClient({
    link: new HttpLink({
      uri: stack.graphqlUrl,
      headers: credential === null ? {} : { authorization: bearer(credential) },
    }),
    cache: new InMemoryCache(),
  });
}

interface Received<T> {
  items: T[];
  until(count: number): Promise<T[]>;
  readonly failed: Promise<unknown>;
  stop(): void;
}

/** Subscribes with Apollo Client and resolves once the gateway's hub has the listener. */
async function subscribe<T>(
  client: ApolloClient,
  query: ReturnType<typeof gql>,
  variables: Record<string, unknown> = {},
  live = true,
): Promise<Received<T>> {
  const { hub } = stack.gateway.events;
  const before = hub.opened;
  const items: T[] = [];
  let check = () => undefined as void;
  let fail!: (error: unknown) => void;
  const failed = new Promise<unknown>((resolve) => (fail = resolve));
  const subscription = client.subscribe<T>({ query, variables, fetchPolicy: 'no-cache' }).subscribe({
    next: (result) => {
      if (result.error) return fail(result.error);
      items.push(result.data as T);
      check();
    },
    error: (error: unknown) => fail(error),
  });
  if (live) await Promise.race([hub.untilCount('opened', before + 1), failed]);
  return {
    items,
    failed,
    until: (count) =>
      new Promise((resolve) => {
        check = () => void (items.length >= count && resolve(items.slice()));
        check();
      }),
    stop: () => subscription.unsubscribe(),
  };
}

const probe = (n: number, extra: Record<string, unknown> = {}) =>
  stack.postWebhook({
    Event: 'MultipartProbe',
    ContractId: `65f0000000000000000b${String(n % 2).padStart(4, '0')}`,
    N: n,
    ...extra,
  });

describe('Apollo Client with HttpLink only', () => {
  it('receives the ContractChanged of a plan change made with a mutation within a second', async () => {
    const client = apolloClient();
    const sub = await subscribe<{
      contractChanged: { contractId: string; contract: { planVariant: { billwerkId: string } } };
    }>(client, CHANGED, { contractId: K.adaBasicMonthly });
    const started = performance.now();
    await stack.sdk.request(ChangePlanDocument, {
      input: { contractId: K.adaBasicMonthly, planVariantId: PV.proMonthly, idempotencyKey: newKey('mp') },
    });
    const [event] = await sub.until(1);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(event!.contractChanged).toMatchObject({
      contractId: K.adaBasicMonthly,
      contract: { planVariant: { billwerkId: PV.proMonthly } },
    });
    sub.stop();
    client.stop();
  });

  it('resumes after a cursor with every missed event once, in order, then live', async () => {
    const client = apolloClient();
    const first = await subscribe<Probe>(client, PROBES);
    for (const n of [1, 2]) expect(await probe(n)).toBe(202);
    const seen = await first.until(2);
    first.stop();
    for (const n of [3, 4, 5, 6]) expect(await probe(n)).toBe(202);
    await stack.gateway.events.pipeline.idle();
    const resumed = await subscribe<Probe>(client, PROBES, { after: seen[1]!.billwerkEvents.cursor });
    await resumed.until(4);
    expect(await probe(7)).toBe(202);
    const all = await resumed.until(5);
    expect(all.map((e) => e.billwerkEvents.payload.N)).toEqual([3, 4, 5, 6, 7]);
    resumed.stop();
    client.stop();
  });

  it("gives a partner key only its own customers' events", async () => {
    const client = apolloClient(PARTNER);
    const sub = await subscribe<Probe>(client, PROBES);
    expect(await probe(11, { CustomerId: C.alan })).toBe(202);
    expect(await probe(12, { CustomerId: C.ada })).toBe(202);
    await sub.until(1);
    await stack.gateway.events.pipeline.idle();
    expect(sub.items.map((e) => e.billwerkEvents.payload.N)).toEqual([12]);
    sub.stop();
    client.stop();
  });

  it.each([
    ['without credentials', null, 'UNAUTHENTICATED'],
    ['with an unknown key', 'not-a-key-of-this-gateway', 'UNAUTHENTICATED'],
  ])('refuses a subscription %s with UNAUTHENTICATED', async (_case, credential, code) => {
    const client = apolloClient(credential);
    const sub = await subscribe<Probe>(client, PROBES, {}, false);
    const error = (await sub.failed) as { errors?: { extensions?: { code?: string } }[] };
    expect(error.errors?.map((e) => e.extensions?.code)).toEqual([code]);
    client.stop();
  });
});

describe('the protocol on the wire', () => {
  it('answers multipart/mixed with a heartbeat part at once and every 5 s, and parts {"payload": …}', async () => {
    const response = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: MULTIPART_ACCEPT,
        authorization: bearer(stack.adminKey),
      },
      body: JSON.stringify({
        query: 'subscription { billwerkEvents(types: ["MultipartProbe"]) { payload } }',
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(
      'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
    );
    const reader = response.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const decoder = new TextDecoder();
    let text = '';
    // A part is complete once the delimiter after it has arrived.
    const parts = () =>
      text
        .split('\r\n--graphql')
        .slice(1, -1)
        .map((part) => part.split('\r\n\r\n')[1]);
    const readUntil = async (done: () => boolean) => {
      while (!done()) text += decoder.decode((await reader.read()).value);
    };
    await readUntil(() => parts().length >= 1);
    expect(parts()[0]).toBe('{}');
    expect(await probe(21)).toBe(202);
    await readUntil(() => parts().length >= 2);
    expect(JSON.parse(parts()[1]!)).toEqual({
      payload: { data: { billwerkEvents: { payload: expect.objectContaining({ N: 21 }) as unknown } } },
    });
    const started = performance.now();
    await readUntil(() => parts().length >= 3);
    expect(parts()[2]).toBe('{}');
    expect(performance.now() - started).toBeGreaterThan(4000);
    await reader.cancel();
  }, 15_000);

  it('keeps CSRF prevention: a multipart subscription sent as text/plain is refused before anything runs', async () => {
    const response = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        accept: MULTIPART_ACCEPT,
        authorization: bearer(stack.adminKey),
      },
      body: JSON.stringify({ query: 'subscription { billwerkEvents { cursor } }' }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/);
  });
});

describe('at shutdown', () => {
  it('ends a multipart stream with a SHUTTING_DOWN part, and an SSE stream without completing it', async () => {
    const own = await startStack();
    const response = await fetch(own.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: MULTIPART_ACCEPT,
        authorization: bearer(own.adminKey),
      },
      body: JSON.stringify({ query: 'subscription { billwerkEvents { cursor } }' }),
    });
    const sse = sseClient(own.graphqlUrl);
    const sub = collect(sse, 'subscription { billwerkEvents { cursor } }');
    const before = own.gateway.events.hub.opened;
    await own.gateway.events.hub.untilCount('opened', before + 1);
    const [text] = await Promise.all([response.text(), own.close()]);
    const final = text.split('\r\n--graphql').at(-2)!.split('\r\n\r\n')[1]!;
    expect(text.endsWith('\r\n--graphql--\r\n')).toBe(true);
    expect(JSON.parse(final)).toEqual({
      payload: null,
      errors: [{ message: expect.stringMatching(/after/) as unknown, extensions: { code: 'SHUTTING_DOWN' } }],
    });
    // A dropped connection to graphql-sse's client (which retries it), not a completed subscription.
    expect(String(await sub.failed)).toMatch(/NetworkError|Connection closed/);
    sse.dispose();
  });
});
