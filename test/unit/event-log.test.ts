import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEventHub, SlowConsumerError } from '../../src/delivery/hub.js';
import { dedupeKey, mayRepeat } from '../../src/events/notice.js';
import { createSqliteEventLog } from '../../src/events/sqlite-event-log.js';
import { openDatabase } from '../../src/store/database.js';
import type { EventLog, StoredEvent } from '../../src/events/event-log.js';
import { notice } from '../helpers/notices.js';

function append(log: EventLog, body: Record<string, unknown>, retry = 0, at = new Date()) {
  const n = notice(body);
  return log.append(n, { dedupeKey: dedupeKey(n), mayRepeat: mayRepeat(n, retry), receivedAt: at });
}

// The log itself is covered by the contract suite (test/integration/event-log.contract.ts), notice
// parsing by notice.test.ts.

describe('event hub', () => {
  let dir: string;
  let log: EventLog;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-hub-'));
    log = createSqliteEventLog(openDatabase({ file: path.join(dir, 'events.db') }));
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const publish = async (hub: ReturnType<typeof createEventHub>, event: string) => {
    const stored = (await append(log, { Event: event })) as { seq: number };
    hub.publish(await log.publish(stored.seq, {}, 'published', new Date()));
  };

  it('replays after a cursor, then goes live, without a gap or a duplicate at the seam', async () => {
    const hub = createEventHub({ log, replayPageSize: 2 });
    for (const name of ['e1', 'e2', 'e3', 'e4']) await publish(hub, name);
    const stream = await hub.stream(() => true, { afterPublishedSeq: 1 });
    const next = async (): Promise<StoredEvent> => {
      const result = await stream.next();
      if (result.done) throw new Error('the stream ended');
      return result.value;
    };
    const received = [await next()];
    // Published while the replay is under way: must come exactly once, after the stored ones.
    await publish(hub, 'e5');
    for (let i = 0; i < 3; i += 1) received.push(await next());
    await publish(hub, 'e6');
    received.push(await next());
    expect(received.map((e) => e.notice.event)).toEqual(['e2', 'e3', 'e4', 'e5', 'e6']);
    await stream.return!(undefined);
    expect(hub.size).toBe(0);
  });

  it('refuses a cursor whose events were pruned by the count bound, and one from the future', async () => {
    const hub = createEventHub({ log });
    for (const name of ['e1', 'e2', 'e3']) await publish(hub, name);
    expect(await log.prune({ before: new Date(0), maxEvents: 1, limit: 100 })).toBe(2);
    await publish(hub, 'e4');
    await expect(hub.stream(() => true, { afterPublishedSeq: 1 })).rejects.toThrow(/expired/);
    const kept = await hub.stream(() => true, { afterPublishedSeq: 3 });
    await kept.return!(undefined);
    await expect(hub.stream(() => true, { afterPublishedSeq: 99 })).rejects.toThrow(/not a cursor/);
  });

  it('refuses a cursor whose events were pruned after the subscription opened but before its replay read them', async () => {
    const hub = createEventHub({ log });
    for (const name of ['e1', 'e2', 'e3', 'e4']) await publish(hub, name);
    const stream = await hub.stream(() => true, { afterPublishedSeq: 1 });
    // A pruning step between the cursor check and the replay's first read: e2 and e3 are gone.
    expect(await log.prune({ before: new Date(0), maxEvents: 1, limit: 100 })).toBe(3);
    await expect(stream.next()).rejects.toThrow(/expired/);
    expect(hub.size).toBe(0);
  });

  it('ends the stream of a subscriber that falls too far behind', async () => {
    const hub = createEventHub({ log, maxBuffered: 3 });
    const stream = await hub.stream(() => true);
    const pending = stream.next();
    const events: StoredEvent[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      const stored = (await append(log, { Event: name })) as { seq: number };
      events.push(await log.publish(stored.seq, {}, 'published', new Date()));
    }
    // Delivered in one burst, faster than the subscriber reads.
    for (const event of events) hub.publish(event);
    await expect(pending).resolves.toMatchObject({ value: { notice: { event: 'a' } } });
    await expect(stream.next()).resolves.toMatchObject({ value: { notice: { event: 'b' } } });
    await expect(stream.next()).resolves.toMatchObject({ value: { notice: { event: 'c' } } });
    await expect(stream.next()).rejects.toBeInstanceOf(SlowConsumerError);
    expect(hub.size).toBe(0);
  });
});
