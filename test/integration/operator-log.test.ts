// The operator's event log: browsing what came in with its delivery state (a failed enrichment with its
// last error), filtering and paging, and replaying stored events to live subscribers (flagged), admin only.
import { apiKey } from '../helpers/auth.js';
import { errorOf } from '../helpers/mutations.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { subscribeLive } from '../helpers/ws.js';

const READONLY = 'readonly-key-0123456789abcdef';
const KNOWN = '65f000000000000000000a01';
/** A contract whose reads fail (injected 500s): its enrichment is retried until the pipeline gives up. */
const BROKEN = '65f000000000000000000aff';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    registerWebhook: false,
    env: {
      RECONCILE_INTERVAL_MS: '0',
      API_KEYS: JSON.stringify([apiKey(READONLY, { id: 'viewer', role: 'readonly' })]),
    },
  });
});
afterAll(() => stack.close());

interface LogPage {
  webhookEvents: {
    edges: {
      cursor: string;
      node: {
        id: string;
        event: string;
        state: string;
        source: string;
        attempts: number;
        lastError: string | null;
        contractId: string | null;
        cursor: string | null;
        payload: { N?: number };
      };
    }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}
const LOG = /* GraphQL */ `
  query Log($first: Int, $after: String, $type: String, $contractId: ID) {
    webhookEvents(first: $first, after: $after, type: $type, contractId: $contractId) {
      edges {
        cursor
        node {
          id
          event
          state
          source
          attempts
          lastError
          contractId
          cursor
          payload
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;
const REPLAY = /* GraphQL */ `
  mutation Replay($input: ReplayWebhookEventsInput!) {
    replayWebhookEvents(input: $input) {
      replayed
      events {
        id
        event
      }
    }
  }
`;

describe('the operator event log', () => {
  it('lists events with their delivery state, filters and pages them, and shows why enrichment failed', async () => {
    for (let n = 1; n <= 3; n += 1) {
      expect(await stack.postWebhook({ Event: 'LogProbe', ContractId: KNOWN, N: n })).toBe(202);
    }
    stack.emulator.faults.inject({
      method: 'GET',
      path: new RegExp(`/contracts/${BROKEN}$`, 'i'),
      status: 500,
    });
    expect(await stack.postWebhook({ Event: 'ContractChanged', ContractId: BROKEN })).toBe(202);
    await stack.gateway.events.pipeline.idle();

    const probes = await stack.sdk.raw.request<LogPage>(LOG, { first: 2, type: 'logprobe' });
    expect(probes.webhookEvents.edges.map((e) => e.node.payload.N)).toEqual([1, 2]);
    expect(probes.webhookEvents.pageInfo.hasNextPage).toBe(true);
    const rest = await stack.sdk.raw.request<LogPage>(LOG, {
      first: 2,
      type: 'LogProbe',
      after: probes.webhookEvents.pageInfo.endCursor,
    });
    expect(rest.webhookEvents.edges.map((e) => e.node.payload.N)).toEqual([3]);
    expect(rest.webhookEvents.pageInfo.hasNextPage).toBe(false);
    expect(probes.webhookEvents.edges[0]!.node).toMatchObject({
      state: 'PUBLISHED',
      source: 'WEBHOOK',
      attempts: 0,
      lastError: null,
      contractId: KNOWN,
    });

    stack.emulator.faults.clear();
    const failed = await stack.sdk.raw.request<LogPage>(LOG, { contractId: BROKEN });
    const [entry] = failed.webhookEvents.edges.map((e) => e.node);
    expect(entry).toMatchObject({ event: 'ContractChanged', state: 'FAILED' });
    expect(entry!.attempts).toBeGreaterThan(1);
    expect(entry!.lastError).toMatch(/500|unavailable|server/i);
  });

  it('replays one event and a time range to live subscribers, flagged, and refuses other callers', async () => {
    interface Replayed {
      billwerkEvents: { cursor: string; replayed: boolean; payload: { N: number } };
    }
    // Live before anything is replayed: the hub holds the subscriber when this resolves.
    const feed = await subscribeLive<Replayed>(
      stack.graphqlUrl,
      stack.gateway.events.hub,
      `subscription { billwerkEvents(types: ["LogProbe"]) { cursor replayed payload } }`,
    );
    const live = feed.items.length;

    const { webhookEvents } = await stack.sdk.raw.request<LogPage>(LOG, { first: 1, type: 'LogProbe' });
    const first = webhookEvents.edges[0]!.node;
    const one = await stack.sdk.raw.request<{ replayWebhookEvents: { replayed: number } }>(REPLAY, {
      input: { id: first.id },
    });
    expect(one.replayWebhookEvents.replayed).toBe(1);
    const [again] = (await feed.waitFor(live + 1)).slice(live);
    // The same event, with its original cursor, marked as a replay.
    expect(again!.billwerkEvents).toMatchObject({ replayed: true, cursor: first.cursor, payload: { N: 1 } });

    const range = await stack.sdk.raw.request<{ replayWebhookEvents: { replayed: number } }>(REPLAY, {
      input: { from: new Date(Date.now() - 60_000).toISOString(), type: 'LogProbe' },
    });
    // The three LogProbe events of the first test, all of them.
    expect(range.replayWebhookEvents.replayed).toBe(3);
    const replays = await feed.waitUntil(
      (items) =>
        items.filter((i) => i.billwerkEvents.replayed).length >= 1 + range.replayWebhookEvents.replayed,
    );
    const replayedN = replays.filter((i) => i.billwerkEvents.replayed).map((i) => i.billwerkEvents.payload.N);
    expect(replayedN.slice(1)).toEqual([1, 2, 3]);

    const viewer = stack.sdkAs(READONLY);
    expect((await errorOf(viewer.raw.request(LOG, {}))).extensions?.code).toBe('FORBIDDEN');
    expect((await errorOf(viewer.raw.request(REPLAY, { input: { id: first.id } }))).extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await errorOf(stack.sdk.raw.request(REPLAY, { input: {} }))).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
    await feed.close();
  });
});
