// GraphQL over Server-Sent Events at /graphql/stream with clients no one here wrote: graphql-sse's client in
// both of its modes and undici's EventSource (which resumes with Last-Event-ID), against the gateway and the
// emulator: live within a second, resumable by cursor, scoped, refused as HTTP refuses, slow readers cut.
import { EventSource } from 'undici';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { ChangePlanDocument } from '../../sdk/client.js';
import { apiKey, bearer } from '../helpers/auth.js';
import { newKey } from '../helpers/mutations.js';
import { controlledAgent, sseClient, subscribeLiveSse } from '../helpers/sse.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { collect } from '../helpers/ws.js';

const PARTNER = 'partner-sse-key-0123456789abcdef';
const { customers: C, contracts: K, planVariants: PV } = SEED_IDS;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    env: { API_KEYS: JSON.stringify([apiKey(PARTNER, { id: 'p', role: 'partner', customers: [C.ada] })]) },
  });
});
afterAll(() => stack.close());

const CHANGED = `subscription Changed($contractId: ID, $after: String) {
  contractChanged(contractId: $contractId, after: $after) { cursor event contractId changeType contract { planVariant { billwerkId } } }
}`;
const PROBES = `subscription Probes($after: String) {
  billwerkEvents(types: ["SseProbe"], after: $after) { cursor contractId customerId payload }
}`;
interface Changed {
  contractChanged: {
    cursor: string;
    event: string;
    contractId: string;
    contract: { planVariant: { billwerkId: string } };
  };
}
interface Probe {
  billwerkEvents: { cursor: string; contractId: string; customerId: string | null; payload: { N: number } };
}

const contractOf = (n: number) => `65f0000000000000000a${String(n % 2).padStart(4, '0')}`;
const probe = (n: number, extra: Record<string, unknown> = {}) =>
  stack.postWebhook({ Event: 'SseProbe', ContractId: contractOf(n), N: n, ...extra });

async function changePlan(contractId: string, planVariantId: string) {
  await stack.sdk.request(ChangePlanDocument, {
    input: { contractId, planVariantId, idempotencyKey: newKey('sse') },
  });
}

describe.each([
  ['distinct connections', false],
  ['single connection', true],
])('the graphql-sse client in its %s mode', (_mode, singleConnection) => {
  it('receives the ContractChanged of a plan change made with a mutation within a second', async () => {
    // Upgrades take effect at once (a downgrade would wait for the period's end): one contract per mode.
    const [contractId, target] = singleConnection
      ? [K.katherineFree, PV.basicMonthly]
      : [K.adaBasicMonthly, PV.proMonthly];
    const sub = await subscribeLiveSse<Changed>(
      stack.graphqlUrl,
      stack.gateway.events.hub,
      CHANGED,
      { contractId },
      { singleConnection },
    );
    const started = performance.now();
    await changePlan(contractId, target);
    const [event] = await sub.waitFor(1);
    const elapsed = performance.now() - started;
    expect(event!.contractChanged).toMatchObject({
      event: 'ContractChanged',
      contractId,
      contract: { planVariant: { billwerkId: target } },
    });
    expect(elapsed).toBeLessThan(1000);
    sub.close();
  });

  it('resumes after a cursor with every missed event once, in order per contract, then live', async () => {
    const first = await subscribeLiveSse<Probe>(
      stack.graphqlUrl,
      stack.gateway.events.hub,
      PROBES,
      {},
      {
        singleConnection,
      },
    );
    const base = singleConnection ? 100 : 200;
    for (const n of [1, 2]) expect(await probe(base + n)).toBe(202);
    const seen = await first.waitFor(2);
    first.close();
    for (const n of [3, 4, 5, 6]) expect(await probe(base + n)).toBe(202);
    await stack.gateway.events.pipeline.idle();

    const resumed = await subscribeLiveSse<Probe>(
      stack.graphqlUrl,
      stack.gateway.events.hub,
      PROBES,
      { after: seen[1]!.billwerkEvents.cursor },
      { singleConnection },
    );
    await resumed.waitFor(4);
    expect(await probe(base + 7)).toBe(202);
    const all = await resumed.waitFor(5);
    expect(all.map((e) => e.billwerkEvents.payload.N)).toEqual([3, 4, 5, 6, 7].map((n) => base + n));
    resumed.close();
  });
});

/** Resolves once the hub has a listener more than it had `before` (the EventSource's). */
const opened = (before: number) => stack.gateway.events.hub.untilCount('opened', before + 1);

describe('an EventSource', () => {
  it('reconnects with Last-Event-ID and gets every event it missed once, in order, then live ones', async () => {
    const { hub, pipeline } = stack.gateway.events;
    const control = controlledAgent(bearer(stack.adminKey));
    const received: { n: number; id: string }[] = [];
    let notify = () => undefined as void;
    const until = (count: number) =>
      new Promise<void>((resolve) => {
        notify = () => received.length >= count && resolve();
        notify();
      });
    const errors: Event[] = [];
    let before = hub.opened;
    const source = new EventSource(`${stack.graphqlUrl}/stream?query=${encodeURIComponent(PROBES)}`, {
      node: { dispatcher: control.agent, reconnectionTime: 10 },
    });
    source.addEventListener('next', (event) => {
      const message = event as unknown as { data: string; lastEventId: string };
      const result = JSON.parse(message.data) as { data: Probe };
      received.push({ n: result.data.billwerkEvents.payload.N, id: message.lastEventId });
      notify();
    });
    const dropped = new Promise((resolve) =>
      source.addEventListener('error', (e) => resolve(errors.push(e))),
    );
    await opened(before);
    for (const n of [301, 302]) expect(await probe(n)).toBe(202);
    await until(2);

    before = hub.opened;
    const release = control.drop();
    await dropped;
    // Published while the client is away.
    for (const n of [303, 304]) expect(await probe(n)).toBe(202);
    await pipeline.idle();
    release();
    await opened(before);
    await until(4);
    expect(await probe(305)).toBe(202);
    await until(5);
    source.close();
    await control.agent.close();

    expect(received.map((r) => r.n)).toEqual([301, 302, 303, 304, 305]);
    // Each event's id is its cursor, the one the payload carries too.
    expect(new Set(received.map((r) => r.id)).size).toBe(5);
  });
});

describe('scope, refusals and metrics', () => {
  it("gives a partner key only its own customers' events", async () => {
    const sub = await subscribeLiveSse<Probe>(
      stack.graphqlUrl,
      stack.gateway.events.hub,
      PROBES,
      {},
      {
        credential: PARTNER,
      },
    );
    expect(await probe(401, { CustomerId: C.alan })).toBe(202);
    expect(await probe(402, { CustomerId: C.ada })).toBe(202);
    const [only] = await sub.waitFor(1);
    await stack.gateway.events.pipeline.idle();
    expect(only!.billwerkEvents.payload.N).toBe(402);
    expect(sub.items).toHaveLength(1);
    sub.close();
  });

  /** The codes POST /graphql answers the same subscription with (as a multipart subscription). */
  async function httpCodes(query: string, variables: Record<string, unknown>, credential: string | null) {
    const response = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'multipart/mixed;subscriptionSpec="1.0", application/json',
        ...(credential === null ? {} : { authorization: bearer(credential) }),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    return body.errors.map((e) => e.extensions.code);
  }

  const OVER_COST = `subscription($n: Int = 1) { billwerkEvents { contract { invoices(first: $n) { edges { node { ${'billwerkId '.repeat(60)}} } } } } }`;
  it.each([
    ['without credentials', null, CHANGED, {}, 'UNAUTHENTICATED'],
    ['with an unknown key', 'not-a-key-of-this-gateway', CHANGED, {}, 'UNAUTHENTICATED'],
    ['over the cost budget', undefined, OVER_COST, { n: 100 }, 'QUERY_TOO_COMPLEX'],
  ] as const)(
    'refuses a subscription %s with the code HTTP gives it',
    async (_case, credential, query, variables, code) => {
      const asHttp = await httpCodes(
        query,
        variables,
        credential === undefined ? stack.adminKey : credential,
      );
      const client = sseClient(stack.graphqlUrl, { credential });
      const errors = (await collect(client, query, variables).failed) as { extensions: { code: string } }[];
      client.dispose();
      expect(errors.map((e) => e.extensions.code)).toEqual([code]);
      expect(asHttp).toEqual([code]);
    },
  );

  it('refuses a query at /graphql/stream with BAD_REQUEST: only subscriptions stream', async () => {
    const client = sseClient(stack.graphqlUrl);
    const errors = (await collect(client, '{ planGroups { name } }').failed) as {
      extensions: { code: string };
    }[];
    client.dispose();
    expect(errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
  });

  it('counts open SSE streams in /metrics beside WebSocket connections', async () => {
    const gauge = async () => {
      const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
      return Number(/gateway_http_subscription_streams\{transport="sse"\} (\d+)/.exec(text)?.[1]);
    };
    const idle = await gauge();
    const sub = await subscribeLiveSse<Probe>(stack.graphqlUrl, stack.gateway.events.hub, PROBES);
    expect(await gauge()).toBe(idle + 1);
    sub.close();
  });
});
