// The webhook endpoint over real HTTP with graphql-ws subscribers: refused calls store nothing, unknown
// events pass through, billwerk's retries are delivered once, and each contract's events stay in order.
import { randomBytes } from 'node:crypto';
import { SEED_IDS } from '../../src/emulator/seed.js';
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
