// The EventLog contract: one suite, run against every implementation (event-log-sqlite.test.ts,
// event-log-redis.test.ts). A store passes when it behaves the same as the others from the outside.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type Contract } from '../../src/billwerk/dto.js';
import { type EventLog } from '../../src/events/event-log.js';
import { dedupeKey, mayRepeat } from '../../src/events/notice.js';
import { notice } from '../helpers/notices.js';

export interface EventLogFactory {
  /** A fresh, empty log. */
  open(): Promise<EventLog>;
  /** The same log opened again after `close` (what a restart sees). */
  reopen(): Promise<EventLog>;
  /** Removes what `open` created; called after the log is closed. */
  cleanup(): Promise<void>;
}

const CONTRACT_A = '645b429bb73d36f442b223df';
const CONTRACT_B = '645b429bb73d36f442b223e0';
const INVOICE = '645b4301f85fee194bce89a2';

/** An enriched contract as billwerk's REST API answers it (the fields the DTO requires, and one more). */
const CONTRACT: Contract = {
  Id: CONTRACT_A,
  CustomerId: '645b429bb73d36f442b223db',
  Currency: 'EUR',
  LifecycleStatus: 'Active',
  StartDate: '2026-01-01T00:00:00.000Z',
  Phases: [{ Type: 'Normal', StartDate: '2026-01-01T00:00:00.000Z' }],
  CustomFields: { tier: 'gold' },
};

/** A pruning step that removes what was received before `before`, whatever the count. */
const pastAge = (before: Date) => ({ before, maxEvents: 1_000_000, limit: 1000 });

export function describeEventLogContract(name: string, factory: EventLogFactory): void {
  describe(`${name} event log (contract)`, () => {
    let log: EventLog;
    let closed = false;
    beforeEach(async () => {
      log = await factory.open();
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await log.close();
      await factory.cleanup();
    });

    const append = async (
      body: Record<string, unknown>,
      retry = 0,
      at = new Date(),
      source?: 'webhook' | 'reconciled',
    ) => {
      const n = notice(body);
      return log.append(n, {
        dedupeKey: dedupeKey(n),
        mayRepeat: mayRepeat(n, retry),
        receivedAt: at,
        source,
      });
    };
    const stored = async (body: Record<string, unknown>, at = new Date()) => {
      const result = await append(body, 0, at);
      if (!result.stored) throw new Error('expected the notice to be stored');
      return result.seq;
    };

    it('stores a retried notice once', async () => {
      const body = { Event: 'CustomerChanged', CustomerId: '645b429bb73d36f442b223db' };
      const first = await append(body);
      expect(first).toMatchObject({ stored: true });
      expect(await append(body, 1)).toEqual({
        stored: false,
        duplicateOf: (first as { seq: number }).seq,
      });
      expect(await append(body, 7)).toMatchObject({ stored: false });
    });

    it('keeps a repeat that billwerk did not mark as a retry (a new change of the same kind)', async () => {
      const body = { Event: 'ContractDataChanged', ContractId: CONTRACT_A };
      expect(await append(body)).toMatchObject({ stored: true });
      expect(await append(body)).toMatchObject({ stored: true });
    });

    it('never stores one contract change twice, whether it came by webhook or by reconciliation', async () => {
      const body = {
        Event: 'ContractChanged',
        ContractId: CONTRACT_A,
        ContractChangeId: '645b42d7f85fee194bce8990',
      };
      const first = await append(body, 0, new Date(), 'reconciled');
      expect(first).toMatchObject({ stored: true });
      expect(await append(body)).toEqual({ stored: false, duplicateOf: (first as { seq: number }).seq });
      expect(await append(body, 2)).toMatchObject({ stored: false });
      const event = await log.get((first as { seq: number }).seq);
      expect(event).toMatchObject({ source: 'reconciled', state: 'received', attempts: 0 });
    });

    it('publishes in publication order, survives a reopen, and never reuses a cursor after pruning', async () => {
      const a = await stored({ Event: 'A' }, new Date('2026-01-01T00:00:00Z'));
      const b = await stored({ Event: 'B' }, new Date('2026-01-02T00:00:00Z'));
      expect(await log.lastPublishedSeq()).toBe(0);
      expect(await log.oldestPublishedSeq()).toBeUndefined();
      // b's enrichment finished first: it is published first.
      const first = await log.publish(b, { contract: CONTRACT }, 'published', new Date());
      expect(first).toMatchObject({ seq: b, publishedSeq: 1, state: 'published', source: 'webhook' });
      expect((await log.pending(0, 10)).map((e) => e.notice.event)).toEqual(['A']);
      await log.close();
      log = await factory.reopen();
      expect((await log.pending(0, 10)).map((e) => e.seq)).toEqual([a]);
      expect((await log.publish(a, undefined, 'failed', new Date())).publishedSeq).toBe(2);
      const published = await log.readPublished(0, 10);
      expect(published.map((e) => [e.notice.event, e.state, e.publishedSeq])).toEqual([
        ['B', 'published', 1],
        ['A', 'failed', 2],
      ]);
      expect(published[0]!.enrichment).toEqual({ contract: CONTRACT });
      expect((await log.readPublished(1, 10)).map((e) => e.publishedSeq)).toEqual([2]);
      expect((await log.readPublished(0, 1)).map((e) => e.publishedSeq)).toEqual([1]);
      expect(await log.oldestPublishedSeq()).toBe(1);
      expect(await log.stats()).toEqual({
        pending: 0,
        lastPublishedSeq: 2,
        retained: 2,
        oldest: { publishedSeq: 1, receivedAt: new Date('2026-01-02T00:00:00Z') },
      });
      expect(await log.prune(pastAge(new Date('2027-01-01T00:00:00Z')))).toBe(2);
      expect((await log.stats()).retained).toBe(0);
      expect(await log.oldestPublishedSeq()).toBeUndefined();
      expect(await log.lastPublishedSeq()).toBe(2);
      const c = await stored({ Event: 'C' });
      expect((await log.publish(c, {}, 'published', new Date())).publishedSeq).toBe(3);
      expect(await log.oldestPublishedSeq()).toBe(3);
    });

    it('publishes an event once, however often its publication is repeated', async () => {
      const a = await stored({ Event: 'A' });
      const first = await log.publish(a, {}, 'published', new Date());
      const again = await log.publish(a, {}, 'published', new Date());
      expect(again.publishedSeq).toBe(first.publishedSeq);
      expect(await log.readPublished(0, 10)).toHaveLength(1);
    });

    it('reads the unpublished backlog a page at a time, in receipt order', async () => {
      const seqs: number[] = [];
      for (let n = 0; n < 7; n += 1) seqs.push(await stored({ Event: 'Backlog', N: n }));
      await log.publish(seqs[2]!, {}, 'published', new Date());
      const first = await log.pending(0, 3);
      expect(first.map((e) => e.seq)).toEqual([seqs[0], seqs[1], seqs[3]]);
      const second = await log.pending(first.at(-1)!.seq, 3);
      expect(second.map((e) => e.seq)).toEqual([seqs[4], seqs[5], seqs[6]]);
      expect(await log.pending(second.at(-1)!.seq, 3)).toEqual([]);
      expect(second.map((e) => e.notice.payload.N)).toEqual([4, 5, 6]);
    });

    it('keeps an unpublished event past its retention', async () => {
      await append({ Event: 'Waiting' }, 0, new Date('2020-01-01T00:00:00Z'));
      expect(await log.prune(pastAge(new Date()))).toBe(0);
      expect(await log.pending(0, 10)).toHaveLength(1);
      expect((await log.stats()).pending).toBe(1);
    });

    it('records failed attempts and shows them in the listing', async () => {
      const a = await stored({ Event: 'ContractChanged', ContractId: CONTRACT_A });
      await log.recordFailure(a, 'billwerk answered 503');
      await log.recordFailure(a, 'billwerk answered 502');
      expect(await log.get(a)).toMatchObject({
        state: 'received',
        attempts: 2,
        lastError: 'billwerk answered 502',
      });
      await log.publish(a, undefined, 'failed', new Date('2026-03-01T00:00:00Z'));
      const [listed] = await log.list({ first: 10 });
      expect(listed).toMatchObject({
        seq: a,
        state: 'failed',
        attempts: 2,
        lastError: 'billwerk answered 502',
        publishedSeq: 1,
        publishedAt: new Date('2026-03-01T00:00:00Z'),
      });
      expect(await log.get(a + 1000)).toBeUndefined();
    });

    it('lists events in receipt order with filters and paging', async () => {
      const day = (d: number) => new Date(Date.UTC(2026, 0, d));
      const seqs = [
        await stored({ Event: 'ContractChanged', ContractId: CONTRACT_A, N: 1 }, day(1)),
        await stored({ Event: 'InvoiceCreated', InvoiceId: INVOICE, ContractId: CONTRACT_B, N: 2 }, day(2)),
        await stored({ Event: 'contractchanged', ContractId: CONTRACT_B, N: 3 }, day(3)),
        await stored({ Event: 'CustomerChanged', CustomerId: '645b429bb73d36f442b223db' }, day(4)),
        await stored({ Event: 'ContractChanged', ContractId: CONTRACT_A, N: 5 }, day(5)),
      ];
      // One published, the rest waiting: the listing shows both.
      await log.publish(seqs[1]!, {}, 'published', day(6));
      const events = (list: { seq: number }[]) => list.map((e) => seqs.indexOf(e.seq) + 1);
      expect(events(await log.list({ first: 10 }))).toEqual([1, 2, 3, 4, 5]);
      expect(events(await log.list({ first: 2 }))).toEqual([1, 2]);
      expect(events(await log.list({ first: 2, afterSeq: seqs[1] }))).toEqual([3, 4]);
      expect(events(await log.list({ first: 10, types: ['CONTRACTCHANGED'] }))).toEqual([1, 3, 5]);
      expect(events(await log.list({ first: 10, types: ['InvoiceCreated', 'CustomerChanged'] }))).toEqual([
        2, 4,
      ]);
      expect(events(await log.list({ first: 10, contractId: CONTRACT_A }))).toEqual([1, 5]);
      expect(events(await log.list({ first: 10, from: day(2), to: day(4) }))).toEqual([2, 3]);
      expect(
        events(await log.list({ first: 1, afterSeq: seqs[0], types: ['contractchanged'], from: day(2) })),
      ).toEqual([3]);
      const [second] = await log.list({ first: 1, afterSeq: seqs[0] });
      expect(second).toMatchObject({ state: 'published', publishedSeq: 1, source: 'webhook' });
      expect(second!.receivedAt).toEqual(day(2));
      expect(second!.notice).toMatchObject({ event: 'InvoiceCreated', contractId: CONTRACT_B });
      expect(await log.list({ first: 0 })).toEqual([]);
    });

    it('keeps metadata durably', async () => {
      expect(await log.getMeta('reconciled-until')).toBeUndefined();
      await log.setMeta('reconciled-until', '2026-01-01T00:00:00.000Z');
      await log.setMeta('reconciled-until', '2026-01-02T00:00:00.000Z');
      await log.close();
      log = await factory.reopen();
      expect(await log.getMeta('reconciled-until')).toBe('2026-01-02T00:00:00.000Z');
    });
  });
}
