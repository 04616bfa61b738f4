// Event destinations end to end: a real receiver verifies every delivery with the standardwebhooks package;
// flows through the emulator arrive shaped by the destination's document, in order per contract; a failing
// contract is retried (same webhook-id) without holding another; deliveries die after the retry window and
// the destination is disabled; partners see only their customers; private addresses and bad documents are
// refused; a rotated secret verifies beside the new one; operators see deliveries in the log and metrics.
import { Webhook } from 'standardwebhooks';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { decodeEventCursor } from '../../src/events/cursor.js';
import {
  CreateEventDestinationDocument,
  EventDestinationDeliveriesDocument,
  EventDestinationsDocument,
  RedeliverEventsDocument,
  ResumeEventDestinationDocument,
  RotateEventDestinationSecretDocument,
  type GatewayClient,
} from '../../sdk/client.js';
import { apiKey, customerToken, TEST_JWT_SECRET } from '../helpers/auth.js';
import { errorOf } from '../helpers/mutations.js';
import { startReceiver, type Received, type Receiver } from '../helpers/receiver.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { bid } from '../helpers/ids.js';

const PARTNER = 'partner-key-0123456789abcdef';
const READONLY = 'readonly-key-0123456789abcdef';
const C = SEED_IDS.contracts;
const CUSTOMERS = SEED_IDS.customers;

const PROBES = /* GraphQL */ `
  subscription Probes($types: [String!]) {
    billwerkEvents(types: $types) {
      cursor
      event
      contractId
      payload
    }
  }
`;

interface ProbeData {
  data: { billwerkEvents: { cursor: string; event: string; contractId: string; payload: { N: number } } };
}

const probe = (type: string, contractId: string, customerId: string, n: number) => ({
  Event: type,
  ContractId: contractId,
  CustomerId: customerId,
  N: n,
});

const receivers: Receiver[] = [];
async function receiver(): Promise<Receiver> {
  const made = await startReceiver();
  receivers.push(made);
  return made;
}
afterAll(async () => {
  for (const r of receivers) await r.close();
});

async function createDestination(
  sdk: GatewayClient,
  target: Receiver,
  query: string,
  variables?: Record<string, unknown>,
) {
  const { createEventDestination } = await sdk.request(CreateEventDestinationDocument, {
    input: { url: target.url, query, variables },
  });
  target.secrets = [createEventDestination.signingSecret];
  return createEventDestination;
}

/** The destination once its backlog is empty: read again after each attempt the gateway records. */
async function settled(stack: Stack, id: string) {
  for (;;) {
    const attempted = stack.nextDestinationAttempt();
    const { eventDestination } = await stack.sdk.request(EventDestinationDeliveriesDocument, {
      id,
      first: 20,
    });
    if (eventDestination.backlog === 0) return eventDestination;
    await attempted;
  }
}

const delivered = (received: Received[]) => received.filter((r) => r.status < 300);
const numbersOf = (received: Received[]) =>
  received.map((r) => (r.payload as ProbeData).data.billwerkEvents.payload.N);

describe('event destinations', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        EVENT_DESTINATIONS_ALLOW_PRIVATE: 'true',
        EVENT_DESTINATION_RETRY_BASE_MS: '20',
        RECONCILE_INTERVAL_MS: '0',
        JWT_SECRET: TEST_JWT_SECRET,
        API_KEYS: JSON.stringify([
          apiKey(PARTNER, { id: 'shop', role: 'partner', customers: [CUSTOMERS.ada] }),
          apiKey(READONLY, { id: 'viewer', role: 'readonly' }),
        ]),
      },
    });
  });
  afterAll(() => stack.close());

  it('delivers a flow of mutations through the emulator, signed and shaped by its document, in contract order', async () => {
    const target = await receiver();
    await createDestination(
      stack.sdk,
      target,
      /* GraphQL */ `
        subscription Partner($contractId: ID) {
          contractChanged(contractId: $contractId) {
            event
            contractId
            changeType
            contract {
              status
              planVariant {
                billwerkId
              }
            }
          }
        }
      `,
      { contractId: C.adaBasicMonthly },
    );
    const order = await stack.billwerk.orders.create({
      ContractId: C.adaBasicMonthly,
      Cart: { PlanVariantId: SEED_IDS.planVariants.proMonthly },
    });
    await stack.billwerk.orders.commit(bid(order.Id));
    const preview = await stack.billwerk.contracts.cancellationPreview(bid(C.adaBasicMonthly));
    await stack.billwerk.contracts.end(bid(C.adaBasicMonthly), preview.EndDate);
    const received = await target.waitUntil((all) => delivered(all).length >= 2);
    expect(received.every((r) => r.verified)).toBe(true);
    expect(received.map((r) => r.payload)).toMatchObject([
      {
        data: {
          contractChanged: {
            event: 'ContractChanged',
            contractId: C.adaBasicMonthly,
            changeType: 'Upgrade',
            contract: { planVariant: { billwerkId: SEED_IDS.planVariants.proMonthly } },
          },
        },
      },
      { data: { contractChanged: { event: 'ContractCancelled', contractId: C.adaBasicMonthly } } },
    ]);
    // Exactly what the document selected, nothing more.
    const shaped = received[0]!.payload as { data: { contractChanged: Record<string, unknown> } };
    expect(Object.keys(shaped)).toEqual(['data']);
    expect(Object.keys(shaped.data.contractChanged)).toEqual([
      'event',
      'contractId',
      'changeType',
      'contract',
    ]);
    // webhook-id is the event's cursor: increasing in publication order.
    const seqs = received.map((r) => decodeEventCursor(r.id));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(received[0]!.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('retries a failing contract with the same webhook-id and never lets it hold another contract', async () => {
    const target = await receiver();
    const { destination } = await createDestination(stack.sdk, target, PROBES, { types: ['RetryProbe'] });
    const [A, B] = [C.graceProYearly, C.alanProTrial];
    // A's endpoint fails until every event of B is in: were B held behind A, this would never end.
    const bDone = () =>
      numbersOf(
        delivered(target.received).filter(
          (r) => (r.payload as ProbeData).data.billwerkEvents.contractId === B,
        ),
      ).length === 5;
    target.respond = ({ payload }) =>
      (payload as ProbeData).data.billwerkEvents.contractId === A && !bDone() ? 500 : 200;
    for (let n = 1; n <= 10; n += 1) {
      const [contract, customer] = n % 2 === 1 ? [A, CUSTOMERS.grace] : [B, CUSTOMERS.alan];
      expect(await stack.postWebhook(probe('RetryProbe', contract, customer, n))).toBe(202);
    }
    const received = await target.waitUntil((all) => delivered(all).length >= 10);
    expect(received.every((r) => r.verified)).toBe(true);
    const ofContract = (id: string) =>
      received.filter((r) => (r.payload as ProbeData).data.billwerkEvents.contractId === id);
    // Every event once delivered, each contract's in the order posted.
    expect(numbersOf(delivered(ofContract(A)))).toEqual([1, 3, 5, 7, 9]);
    expect(numbersOf(delivered(ofContract(B)))).toEqual([2, 4, 6, 8, 10]);
    // A's first event was retried under its own id, and nothing of A was attempted while it failed.
    const attemptsOfA = ofContract(A);
    const failed = attemptsOfA.filter((r) => r.status === 500);
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map((r) => r.id)).size).toBe(1);
    expect(failed[0]!.id).toBe(delivered(attemptsOfA)[0]!.id);

    const eventDestination = await settled(stack, destination.id);
    const deliveries = eventDestination.deliveries.edges.map((e) => e.node);
    expect(deliveries).toHaveLength(10);
    expect(deliveries.every((d) => d.state === 'DELIVERED')).toBe(true);
    expect(deliveries.find((d) => d.cursor === failed[0]!.id)).toMatchObject({
      attempts: failed.length + 1,
      lastStatusCode: 200,
    });
    expect(eventDestination.backlog).toBe(0);
    expect(eventDestination.lastError).toBe('HTTP 500');
  });

  it("sends a partner's destination only its customers' events, executed as the partner", async () => {
    const target = await receiver();
    const partner = stack.sdkAs(PARTNER);
    const { destination } = await createDestination(partner, target, PROBES, { types: ['ScopeProbe'] });
    expect(await stack.postWebhook(probe('ScopeProbe', C.graceProYearly, CUSTOMERS.grace, 1))).toBe(202);
    expect(await stack.postWebhook(probe('ScopeProbe', C.adaBasicMonthly, CUSTOMERS.ada, 2))).toBe(202);
    // The admin's destination sees both: once it has the second, the partner's had its chance at the first.
    const admin = await receiver();
    await createDestination(stack.sdk, admin, PROBES, { types: ['ScopeProbe'] });
    expect(await stack.postWebhook(probe('ScopeProbe', C.graceProYearly, CUSTOMERS.grace, 3))).toBe(202);
    expect(await stack.postWebhook(probe('ScopeProbe', C.adaBasicMonthly, CUSTOMERS.ada, 4))).toBe(202);
    await admin.waitUntil((all) => delivered(all).length >= 2);
    const mine = await target.waitUntil((all) => delivered(all).length >= 2);
    expect(numbersOf(mine)).toEqual([2, 4]);

    // A partner manages only its own; the admin manages all.
    const listed = await partner.request(EventDestinationsDocument, {});
    expect(listed.eventDestinations.edges.map((e) => e.node.id)).toEqual([destination.id]);
    const all = await stack.sdk.request(EventDestinationsDocument, { first: 100 });
    expect(all.eventDestinations.edges.length).toBeGreaterThan(1);
    const foreign = all.eventDestinations.edges.find((e) => e.node.id !== destination.id)!.node.id;
    const error = await errorOf(partner.request(RotateEventDestinationSecretDocument, { id: foreign }));
    expect(error.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses readonly keys and customer tokens, documents that are not a destination subscription, and `after`', async () => {
    const target = await receiver();
    const input = { url: target.url, query: PROBES };
    const readonly = await errorOf(stack.sdkAs(READONLY).request(CreateEventDestinationDocument, { input }));
    expect(readonly.extensions?.code).toBe('FORBIDDEN');
    const token = await customerToken(CUSTOMERS.ada);
    const customer = await errorOf(stack.sdkAs(token).request(CreateEventDestinationDocument, { input }));
    expect(customer.extensions?.code).toBe('FORBIDDEN');
    for (const query of [
      '{ planGroups { name } }',
      'subscription { billwerkEvents(after: "x") { cursor } }',
      'subscription { billwerkEvents { nope } }',
    ]) {
      const refused = await errorOf(
        stack.sdk.request(CreateEventDestinationDocument, { input: { ...input, query } }),
      );
      expect(refused.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
    }
  });

  it('signs with both secrets for the overlap after a rotation', async () => {
    const target = await receiver();
    const { destination, signingSecret: old } = await createDestination(stack.sdk, target, PROBES, {
      types: ['RotateProbe'],
    });
    const { rotateEventDestinationSecret } = await stack.sdk.request(RotateEventDestinationSecretDocument, {
      id: destination.id,
    });
    expect(rotateEventDestinationSecret.signingSecret).not.toBe(old);
    expect(rotateEventDestinationSecret.destination.previousSecretExpiresAt).not.toBeNull();
    target.secrets = [rotateEventDestinationSecret.signingSecret];
    expect(await stack.postWebhook(probe('RotateProbe', C.katherineFree, CUSTOMERS.katherine, 1))).toBe(202);
    const [delivery] = await target.waitUntil((all) => all.length >= 1);
    expect(delivery!.verified).toBe(true);
    expect(delivery!.signature.split(' ')).toHaveLength(2);
    const headers = {
      'webhook-id': delivery!.id,
      'webhook-timestamp': delivery!.timestamp,
      'webhook-signature': delivery!.signature,
    };
    expect(new Webhook(old).verify(delivery!.body, headers)).toEqual(delivery!.payload);
  });

  it("links an event in the operator's log to its deliveries, and counts them in /metrics", async () => {
    const target = await receiver();
    const { destination } = await createDestination(stack.sdk, target, PROBES, { types: ['LinkProbe'] });
    expect(await stack.postWebhook(probe('LinkProbe', C.katherineFree, CUSTOMERS.katherine, 1))).toBe(202);
    const [delivery] = await target.waitUntil((all) => delivered(all).length >= 1);
    const page = await stack.sdk.raw.request<{
      webhookEvents: {
        edges: { node: { cursor: string; deliveries: { destinationId: string; state: string }[] } }[];
      };
    }>(/* GraphQL */ `
      {
        webhookEvents(type: "LinkProbe") {
          edges {
            node {
              cursor
              deliveries {
                destinationId
                state
              }
            }
          }
        }
      }
    `);
    const event = page.webhookEvents.edges[0]!.node;
    expect(event.cursor).toBe(delivery!.id);
    // The store records the outcome right after the receiver answered; the next read sees it.
    expect(event.deliveries.map((d) => d.destinationId)).toEqual([destination.id]);
    expect(['DELIVERED', 'PENDING']).toContain(event.deliveries[0]!.state);
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^gateway_event_destination_attempt_duration_seconds_count\{outcome="delivered"\} [1-9]/m,
    );
    expect(metrics).toMatch(
      new RegExp(`^gateway_event_destination_backlog\\{destination="${destination.id}"\\} \\d+`, 'm'),
    );
    expect(metrics).not.toContain('whsec_');
  });
});

describe('an endpoint that stays down', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      registerWebhook: false,
      env: {
        EVENT_DESTINATIONS_ALLOW_PRIVATE: 'true',
        EVENT_DESTINATION_RETRY_BASE_MS: '20',
        // 360 ms: a few retries, then dead. Disabled when a delivery dies after 144 ms of failures: the
        // last attempt comes later than that, since it is the one whose doubled (+20%) delay passes the window.
        EVENT_DESTINATION_RETRY_HOURS: '0.0001',
        EVENT_DESTINATION_DISABLE_AFTER_HOURS: '0.00004',
        RECONCILE_INTERVAL_MS: '0',
      },
    });
  });
  afterAll(() => stack.close());

  it('marks deliveries DEAD, disables the destination with its reason, and redelivers on request', async () => {
    const target = await receiver();
    target.respond = () => 503;
    const { destination } = await createDestination(stack.sdk, target, PROBES, { types: ['DownProbe'] });
    expect(await stack.postWebhook(probe('DownProbe', C.katherineFree, CUSTOMERS.katherine, 1))).toBe(202);
    // The attempts end once the retry window has passed; the state is read again after each one recorded.
    const untilDead = async () => {
      for (;;) {
        const attempted = stack.nextDestinationAttempt();
        const { eventDestination } = await stack.sdk.request(EventDestinationDeliveriesDocument, {
          id: destination.id,
        });
        if (eventDestination.deliveries.edges[0]?.node.state === 'DEAD') return eventDestination;
        await attempted;
      }
    };
    const dead = await untilDead();
    expect(dead.enabled).toBe(false);
    expect(dead.disabledReason).toMatch(/HTTP 503/);
    expect(dead.backlog).toBe(0);
    const [cursor] = dead.deliveries.edges.map((e) => e.node.cursor);

    target.respond = () => 200;
    await stack.sdk.request(ResumeEventDestinationDocument, { id: destination.id });
    const { redeliverEvents } = await stack.sdk.request(RedeliverEventsDocument, {
      destinationId: destination.id,
      from: cursor!,
    });
    expect(redeliverEvents.redelivered).toBe(1);
    const received = await target.waitUntil((all) => delivered(all).length >= 1);
    expect(new Set(received.map((r) => r.id))).toEqual(new Set([cursor]));
  });
});

describe('address checks', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ registerWebhook: false, env: { RECONCILE_INTERVAL_MS: '0' } });
  });
  afterAll(() => stack.close());

  it('refuses loopback, private, link-local and metadata addresses at creation', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hooks',
      'http://localhost/hooks',
      'http://[::1]/hooks',
      'http://10.1.2.3/hooks',
      'http://192.168.0.10/hooks',
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:127.0.0.1]/hooks',
      'ftp://example.com/hooks',
      'https://user:pw@example.com/hooks',
    ]) {
      const error = await errorOf(
        stack.sdk.request(CreateEventDestinationDocument, { input: { url, query: PROBES } }),
      );
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
      expect(error.message).not.toContain('pw');
    }
  });
});
