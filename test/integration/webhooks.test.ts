// The webhook endpoint over real HTTP with graphql-ws subscribers: refused calls store nothing, unknown
// events pass through, billwerk's retries are delivered once, and each contract's events stay in order;
// arbitrary bodies are answered with 2xx only when stored and a one-line 4xx otherwise, never a 5xx.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { parseNotice } from '../../src/events/notice.js';
import { asBody, noticeBody } from '../helpers/notice-arbitraries.js';
import { startStack, TEST_WEBHOOK_AUTH, type Stack } from '../helpers/stack.js';
import { subscribeLive } from '../helpers/ws.js';

const EVENTS = /* GraphQL */ `
  subscription Events($types: [String!], $contractId: ID) {
    billwerkEvents(types: $types, contractId: $contractId) {
      cursor
      event
      contractId
      changeType
      knownChangeType
      payload
    }
  }
`;

interface EventData {
  billwerkEvents: {
    cursor: string;
    event: string;
    contractId: string | null;
    changeType: string | null;
    knownChangeType: string | null;
    payload: Record<string, unknown>;
  };
}

const hex = () => randomBytes(12).toString('hex');

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ registerWebhook: false });
});
afterAll(() => stack.close());

const live = (query: string, variables: Record<string, unknown> = {}) =>
  subscribeLive<EventData>(stack.graphqlUrl, stack.gateway.events.hub, query, variables);

const nothingStored = async () => {
  const stats = await stack.gateway.events.log.stats();
  return stats.pending + stats.lastPublishedSeq;
};

describe('refused webhook calls', () => {
  const valid = JSON.stringify({ Event: 'ContractChanged', ContractId: SEED_IDS.contracts.adaBasicMonthly });
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const good = basic(TEST_WEBHOOK_AUTH.user, TEST_WEBHOOK_AUTH.password);

  it.each([
    ['no credentials', {}, valid, 401],
    ['a wrong password', { authorization: basic(TEST_WEBHOOK_AUTH.user, 'guess') }, valid, 401],
    ['a wrong content type', { authorization: good, 'content-type': 'text/plain' }, valid, 415],
    ['invalid JSON', { authorization: good }, '{"Event":', 400],
    [
      'no Event',
      { authorization: good },
      JSON.stringify({ ContractId: SEED_IDS.contracts.adaBasicMonthly }),
      400,
    ],
    ['an empty Event', { authorization: good }, JSON.stringify({ Event: '' }), 400],
    ['a JSON array', { authorization: good }, JSON.stringify([{ Event: 'ContractChanged' }]), 400],
    [
      'an oversize body',
      { authorization: good },
      JSON.stringify({ Event: 'X', Pad: 'x'.repeat(70_000) }),
      413,
    ],
  ])(
    '%s is answered %i and nothing is stored',
    async (_name, headers: Record<string, string>, body, status) => {
      const response = await fetch(stack.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      expect(response.status).toBe(status);
      const text = await response.text();
      expect(text).not.toContain(TEST_WEBHOOK_AUTH.password);
      expect(await nothingStored()).toBe(0);
    },
  );
});

describe('a webhook endpoint with a path token and HTTP Basic', () => {
  const TOKEN = 'path-token-0123456789abcdef';
  let guarded: Stack;
  beforeAll(async () => {
    guarded = await startStack({
      registerWebhook: false,
      webhookCredentials: { basicAuth: TEST_WEBHOOK_AUTH, pathToken: TOKEN },
    });
  });
  afterAll(() => guarded.close());

  const body = JSON.stringify({ Event: 'ContractChanged', ContractId: SEED_IDS.contracts.adaBasicMonthly });
  const basic = (password: string) =>
    `Basic ${Buffer.from(`${TEST_WEBHOOK_AUTH.user}:${password}`).toString('base64')}`;
  const post = async (token: string | undefined, authorization: string | undefined) => {
    const response = await fetch(
      token === undefined ? guarded.webhookUrl : `${guarded.webhookUrl}/${token}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
      },
    );
    return { status: response.status, body: await response.text() };
  };

  it('answers every credential failure alike, so no part can be confirmed without the other', async () => {
    const right = basic(TEST_WEBHOOK_AUTH.password);
    const failures = await Promise.all([
      post(TOKEN, basic('guess')), // the right token with a wrong password
      post('wrong-token-0123456789abcdef', right), // a wrong token with the right password
      post('wrong-token-0123456789abcdef', basic('guess')),
      post(undefined, right), // no token
      post(TOKEN, undefined), // no credentials
      post(TOKEN, 'Bearer something'),
    ]);
    for (const failure of failures) expect(failure).toEqual(failures[0]);
    expect(failures[0].status).toBe(401);
    expect(failures[0].body).not.toMatch(/token|password|basic/i);
    const stats = await guarded.gateway.events.log.stats();
    expect(stats.pending + stats.lastPublishedSeq).toBe(0);
    expect((await post(TOKEN, right)).status).toBe(202);
  });
});

describe('accepted webhooks', () => {
  it('an unknown event and an unknown change type are delivered, not dropped', async () => {
    const sub = await live(EVENTS);
    const contractId = SEED_IDS.contracts.graceProYearly;
    await stack.postWebhook({ Event: 'ContractTeleported', ContractId: contractId, Galaxy: 'M31' });
    await stack.postWebhook({
      Event: 'ContractChanged',
      ContractId: contractId,
      ContractChangeId: hex(),
      ContractChangeType: 'QuantumLeap',
    });
    const [teleported, changed] = await sub.waitFor(2);
    expect(teleported!.billwerkEvents).toMatchObject({
      event: 'ContractTeleported',
      contractId,
      payload: { Galaxy: 'M31' },
    });
    expect(changed!.billwerkEvents).toMatchObject({ changeType: 'QuantumLeap', knownChangeType: 'UNKNOWN' });
    await sub.close();
  });

  it('a notice billwerk retries five times reaches each subscriber once', async () => {
    const first = await live(EVENTS, { types: ['ContractChanged', 'Sentinel'] });
    const second = await live(EVENTS, { types: ['ContractChanged', 'Sentinel'] });

    const notice = {
      Event: 'ContractChanged',
      ContractId: SEED_IDS.contracts.adaBasicMonthly,
      CustomerId: SEED_IDS.customers.ada,
      ContractChangeId: hex(),
      ContractChangeType: 'Upgrade',
      EntityId: SEED_IDS.entity,
    };
    const statuses = [await stack.postWebhook(notice)];
    for (let retry = 1; retry <= 4; retry += 1) {
      statuses.push(await stack.postWebhook(notice, { 'x-retry-count': String(retry) }));
    }
    expect(statuses).toEqual([202, 200, 200, 200, 200]);
    // A later event proves the duplicates are not merely late.
    await stack.postWebhook({ Event: 'Sentinel', Nonce: hex() });
    for (const sub of [first, second]) {
      const items = await sub.waitFor(2);
      expect(items.map((i) => i.billwerkEvents.event)).toEqual(['ContractChanged', 'Sentinel']);
      await sub.close();
    }
  });

  it("keeps each contract's events in billwerk's order under concurrent load", async () => {
    const sub = await live(EVENTS, { types: ['OrderedEvent'] });
    const contracts = Object.values(SEED_IDS.contracts);
    const perContract = 15;
    // Contracts post concurrently; each contract's notices go out one after another, as billwerk sends them.
    await Promise.all(
      contracts.map(async (contractId) => {
        for (let n = 0; n < perContract; n += 1) {
          expect(await stack.postWebhook({ Event: 'OrderedEvent', ContractId: contractId, N: n })).toBe(202);
        }
      }),
    );
    const items = await sub.waitFor(contracts.length * perContract);
    for (const contractId of contracts) {
      const sequence = items
        .map((i) => i.billwerkEvents)
        .filter((e) => e.contractId === contractId)
        .map((e) => e.payload.N);
      expect(sequence).toEqual(Array.from({ length: perContract }, (_, n) => n));
    }
    await sub.close();
  });
});

describe('the webhook boundary', () => {
  const MAX_BODY_BYTES = 65_536; // WEBHOOK_MAX_BODY_BYTES' default, what the stack runs with
  const rows = async () => {
    const stats = await stack.gateway.events.log.stats();
    return stats.pending + stats.retained;
  };
  const send = async (body: string) => {
    const response = await fetch(stack.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth },
      body,
    });
    return { status: response.status, text: await response.text() };
  };
  const basicAuth = `Basic ${Buffer.from(`${TEST_WEBHOOK_AUTH.user}:${TEST_WEBHOOK_AUTH.password}`).toString('base64')}`;

  /** A refusal: 4xx, a JSON answer whose message is one line, no stack, nothing stored. */
  const expectRefused = (answer: { status: number; text: string }, status: number) => {
    expect(answer.status).toBe(status);
    expect(answer.text).not.toMatch(/\n\s+at |"stack"/);
    const { message } = JSON.parse(answer.text) as { message: string };
    expect(message).not.toMatch(/[\r\n]/);
    return message;
  };

  it.each([
    ['a ContractId that is not an ObjectId', { Event: 'ContractChanged', ContractId: 'c1' }, 'ContractId'],
    ['a path in an id', { Event: 'X', CustomerId: '../customers/645b429bb73d36f442b223db' }, 'CustomerId'],
    ['a known event without its id', { Event: 'InvoiceCreated' }, 'InvoiceCreated needs InvoiceId'],
  ])('refuses %s with 400 and a one-line reason, storing nothing', async (_name, body, reason) => {
    const before = await rows();
    expect(expectRefused(await send(JSON.stringify(body)), 400)).toContain(reason);
    expect(await rows()).toBe(before);
  });

  it('refuses 5,000 levels of nesting in 10 KB as a bad request, not as an outage', async () => {
    const deep = `{"Event":"Deep","D":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(deep.length).toBeLessThan(MAX_BODY_BYTES);
    const before = await rows();
    expect(expectRefused(await send(deep), 400)).toBe('the body nests deeper than 32 levels');
    expect(await rows()).toBe(before);
  });

  it('answers arbitrary bodies with 2xx only when stored and 400 (413 past the size bound) otherwise', async () => {
    const text = fc.oneof(
      { weight: 4, arbitrary: noticeBody(6000).map((parts) => JSON.stringify(asBody(parts))) },
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.integer({ min: 30, max: 20_000 }).map((n) => `{"Event":"X","D":${'['.repeat(n)}${']'.repeat(n)}}`),
    );
    await fc.assert(
      fc.asyncProperty(text, async (body) => {
        const before = await rows();
        const answer = await send(body);
        const after = await rows();
        expect(answer.status).toBeLessThan(500);
        if (Buffer.byteLength(body) > MAX_BODY_BYTES) {
          expectRefused(answer, 413);
          expect(after).toBe(before);
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          expectRefused(answer, 400);
          expect(after).toBe(before);
          return;
        }
        if (parseNotice(parsed).ok) {
          // 202: stored now; 200: a duplicate of one stored before.
          expect([200, 202]).toContain(answer.status);
          expect(after).toBe(answer.status === 202 ? before + 1 : before);
        } else {
          expectRefused(answer, 400);
          expect(after).toBe(before);
        }
      }),
      { numRuns: 80 },
    );
  });
});
