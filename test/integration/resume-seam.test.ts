// The seam between a resumed subscription's replay and its live events, when an event is readable in the
// log before this instance's hub hears of it. With Redis that is the usual order: the replay reads the
// published stream through the newest mark, while this instance's tail hands the same event to its hub a
// moment later. A caught-up graphql-ws subscriber takes live events straight from the hub (pushLive), and
// must still get the event once.
import { encodeEventCursor } from '../../src/events/cursor.js';
import { type StoredEvent } from '../../src/events/event-log.js';
import { dedupeKey, mayRepeat } from '../../src/events/notice.js';
import { notice } from '../helpers/notices.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { collect, wsClient } from '../helpers/ws.js';

const PROBES = /* GraphQL */ `
  subscription Seam($after: String, $types: [String!]) {
    billwerkEvents(after: $after, types: $types) {
      cursor
      payload
    }
  }
`;

interface Probe {
  billwerkEvents: { cursor: string; payload: { N: number } };
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

/** Stores and publishes a probe in the log, as the enrichment pipeline would, without telling the hub. */
async function published(n: number): Promise<StoredEvent> {
  const { log } = stack.gateway.events;
  const parsed = notice({ Event: 'SeamProbe', N: n });
  const appended = await log.append(parsed, {
    dedupeKey: dedupeKey(parsed),
    mayRepeat: mayRepeat(parsed, 0),
    receivedAt: new Date(),
  });
  if (!appended.stored) throw new Error('the probe was taken for a duplicate');
  return log.publish(appended.seq, {}, 'published', new Date());
}

it('delivers an event the replay already sent once, when the hub hears of it after the replay caught up', async () => {
  const { hub } = stack.gateway.events;
  const first = await published(1);
  hub.publish(first);
  // Readable in the log; the hub hears of it later (a Redis instance's tail behind the newest mark).
  const second = await published(2);

  const client = wsClient(stack.graphqlUrl);
  const sub = collect<Probe>(client, PROBES, {
    types: ['SeamProbe'],
    after: encodeEventCursor(first.publishedSeq!),
  });
  // Replayed from the log. The gateway wrote it and then parked the stream waiting for live events
  // before the frame could reach the client, so the subscriber is caught up from here on.
  await sub.waitFor(1);
  hub.publish(second);
  const third = await published(3);
  hub.publish(third);
  const items = await sub.waitUntil((all) => all.some((item) => item.billwerkEvents.payload.N === 3));

  expect(items.map((item) => item.billwerkEvents.payload.N)).toEqual([2, 3]);
  sub.dispose();
  await client.dispose();
});
