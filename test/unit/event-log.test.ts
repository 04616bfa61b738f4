import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEventHub, SlowConsumerError } from '../../src/events/hub.js';
import { dedupeKey, mayRepeat, parseNotice, type ParsedNotice } from '../../src/events/notice.js';
import { createSqliteEventLog } from '../../src/events/sqlite-event-log.js';
import { openDatabase } from '../../src/store/database.js';
import type { EventLog, StoredEvent } from '../../src/events/event-log.js';

function notice(body: Record<string, unknown>): ParsedNotice {
  const parsed = parseNotice(body);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.notice;
}

function append(log: EventLog, body: Record<string, unknown>, retry = 0, at = new Date()) {
  const n = notice(body);
  return log.append(n, { dedupeKey: dedupeKey(n), mayRepeat: mayRepeat(n, retry), receivedAt: at });
}

describe('notice parsing', () => {
  it('accepts any event name and keeps unknown fields', () => {
    const n = notice({ Event: 'BrandNewEvent', ContractId: '645b429bb73d36f442b223df', Extra: { a: 1 } });
    expect(n).toMatchObject({ event: 'BrandNewEvent', contractId: '645b429bb73d36f442b223df' });
    expect(n.payload.Extra).toEqual({ a: 1 });
  });

  it('reads both spellings of the change type', () => {
    expect(notice({ Event: 'ContractChanged', ContractChangedType: 'Upgrade' }).changeType).toBe('Upgrade');
  });

  it.each([
    [null],
    [[]],
    ['text'],
    [{}],
    [{ Event: 5 }],
    [{ Event: 'X', ContractId: 'has spaces and / slashes' }],
  ])('refuses %j with a reason', (body) => {
    const parsed = parseNotice(body);
    expect(parsed.ok).toBe(false);
  });

  it('names a contract change by its id and other notices by their body, key order aside', () => {
    expect(dedupeKey(notice({ Event: 'ContractChanged', ContractChangeId: 'abc', X: 1 }))).toBe(
      dedupeKey(notice({ Event: 'ContractChanged', ContractChangeId: 'abc', X: 2 })),
    );
    expect(dedupeKey(notice({ Event: 'E', A: 1, B: 2 }))).toBe(dedupeKey(notice({ B: 2, A: 1, Event: 'E' })));
  });
});

describe('SQLite event log', () => {
  let dir: string;
  let log: EventLog;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-log-'));
    log = createSqliteEventLog(openDatabase({ file: path.join(dir, 'events.db') }));
  });
  afterEach(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a retried notice once', () => {
    const body = { Event: 'CustomerChanged', CustomerId: '645b429bb73d36f442b223db' };
    const first = append(log, body);
    expect(first).toMatchObject({ stored: true });
    expect(append(log, body, 1)).toEqual({ stored: false, duplicateOf: (first as { seq: number }).seq });
    expect(append(log, body, 7)).toMatchObject({ stored: false });
  });

  it('keeps a repeat that billwerk did not mark as a retry (a new change of the same kind)', () => {
    const body = { Event: 'ContractDataChanged', ContractId: '645b429bb73d36f442b223df' };
    expect(append(log, body)).toMatchObject({ stored: true });
    expect(append(log, body)).toMatchObject({ stored: true });
  });

  it('never stores one contract change twice, marked as a retry or not', () => {
    const body = { Event: 'ContractChanged', ContractChangeId: '645b42d7f85fee194bce8990' };
    expect(append(log, body)).toMatchObject({ stored: true });
    expect(append(log, body)).toMatchObject({ stored: false });
  });

  it('publishes in publication order, survives a reopen, and never reuses a cursor after pruning', () => {
    const a = append(log, { Event: 'A' }, 0, new Date('2026-01-01T00:00:00Z')) as { seq: number };
    const b = append(log, { Event: 'B' }, 0, new Date('2026-01-02T00:00:00Z')) as { seq: number };
    // b's enrichment finished first: it is published first.
    expect(log.publish(b.seq, {}, 'published', new Date()).publishedSeq).toBe(1);
    expect(log.pending().map((e) => e.notice.event)).toEqual(['A']);
    log.close();
    log = createSqliteEventLog(openDatabase({ file: path.join(dir, 'events.db') }));
    expect(log.pending().map((e) => e.seq)).toEqual([a.seq]);
    expect(log.publish(a.seq, undefined, 'failed', new Date()).publishedSeq).toBe(2);
    expect(log.readPublished(0, 10).map((e) => [e.notice.event, e.state])).toEqual([
      ['B', 'published'],
      ['A', 'failed'],
    ]);
    expect(log.prune(new Date('2027-01-01T00:00:00Z'))).toBe(2);
    expect(log.oldestPublishedSeq()).toBeUndefined();
    const c = append(log, { Event: 'C' }) as { seq: number };
    expect(log.publish(c.seq, {}, 'published', new Date()).publishedSeq).toBe(3);
  });

  it('keeps an unpublished event past its retention', () => {
    append(log, { Event: 'Waiting' }, 0, new Date('2020-01-01T00:00:00Z'));
    expect(log.prune(new Date())).toBe(0);
  });
});

describe('event hub', () => {
  let dir: string;
  let log: EventLog;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-hub-'));
    log = createSqliteEventLog(openDatabase({ file: path.join(dir, 'events.db') }));
  });
  afterEach(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const publish = (hub: ReturnType<typeof createEventHub>, event: string) => {
    const stored = append(log, { Event: event }) as { seq: number };
    hub.publish(log.publish(stored.seq, {}, 'published', new Date()));
  };

  it('replays after a cursor, then goes live, without a gap or a duplicate at the seam', async () => {
    const hub = createEventHub({ log, replayPageSize: 2 });
    for (const name of ['e1', 'e2', 'e3', 'e4']) publish(hub, name);
    const stream = hub.stream(() => true, { afterPublishedSeq: 1 });
    const next = async (): Promise<StoredEvent> => {
      const result = await stream.next();
      if (result.done) throw new Error('the stream ended');
      return result.value;
    };
    const received = [await next()];
    // Published while the replay is under way: must come exactly once, after the stored ones.
    publish(hub, 'e5');
    for (let i = 0; i < 3; i += 1) received.push(await next());
    publish(hub, 'e6');
    received.push(await next());
    expect(received.map((e) => e.notice.event)).toEqual(['e2', 'e3', 'e4', 'e5', 'e6']);
    await stream.return!(undefined);
    expect(hub.size).toBe(0);
  });

  it('refuses a cursor whose events were pruned, and one from the future', () => {
    const hub = createEventHub({ log });
    for (const name of ['e1', 'e2', 'e3']) publish(hub, name);
    log.prune(new Date(Date.now() + 1000));
    publish(hub, 'e4');
    expect(() => hub.stream(() => true, { afterPublishedSeq: 1 })).toThrow(/expired/);
    expect(() => hub.stream(() => true, { afterPublishedSeq: 3 })).not.toThrow();
    expect(() => hub.stream(() => true, { afterPublishedSeq: 99 })).toThrow(/not a cursor/);
  });

  it('ends the stream of a subscriber that falls too far behind', async () => {
    const hub = createEventHub({ log, maxBuffered: 3 });
    const stream = hub.stream(() => true);
    const pending = stream.next();
    for (const name of ['a', 'b', 'c', 'd', 'e']) publish(hub, name);
    await expect(pending).resolves.toMatchObject({ value: { notice: { event: 'a' } } });
    await expect(stream.next()).resolves.toMatchObject({ value: { notice: { event: 'b' } } });
    await expect(stream.next()).resolves.toMatchObject({ value: { notice: { event: 'c' } } });
    await expect(stream.next()).rejects.toBeInstanceOf(SlowConsumerError);
    expect(hub.size).toBe(0);
  });
});
