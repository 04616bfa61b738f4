// The SQLite event log's bounds: at most EVENT_RETENTION_MAX_EVENTS published events, pruned oldest first
// in bounded steps, an unpublished event never; a file that stops growing once pages are reused; the
// size of an event at the payload the soak benchmark sends; and databases of the earlier layout.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type Customer, type Contract } from '../../src/billwerk/dto.js';
import { type EventLog } from '../../src/events/event-log.js';
import { createEventHub } from '../../src/delivery/hub.js';
import { dedupeKey, mayRepeat } from '../../src/events/notice.js';
import { createSqliteEventLog } from '../../src/events/sqlite-event-log.js';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { notice } from '../helpers/notices.js';

const hex = (n: number) => n.toString(16).padStart(24, '65f0000000000000000');

/** A contract and its customer as the emulator answers them (bench/soak enriches with the same). */
function enrichmentOf(k: number): { contract: Contract; customer: Customer } {
  const id = hex(0x9000 + (k % 200));
  const customerId = hex(0x8000 + (k % 200));
  const date = '2026-08-09T00:00:00.0000000Z';
  const phase = {
    Type: 'Normal',
    StartDate: date,
    PlanVariantId: hex(0x402),
    PlanId: hex(0x302),
    Quantity: 1,
  };
  return {
    contract: {
      Id: id,
      CustomerId: customerId,
      CustomerName: `Bench Customer ${k % 200}`,
      PlanGroupId: hex(0x201),
      PlanId: hex(0x302),
      PlanVariantId: hex(0x402),
      ReferenceCode: 'KRAS-WCND',
      ExternalId: null,
      Currency: 'EUR',
      Notes: null,
      PaymentProvider: 'InvoicePayment',
      PaymentProviderRole: 'InvoicePayment',
      PaymentBearer: null,
      LifecycleStatus: 'Active',
      StartDate: date,
      EndDate: null,
      BilledUntil: '2026-12-09T00:00:00.0000000Z',
      LastBillingDate: '2026-11-09T00:00:00.0000000Z',
      NextBillingDate: '2026-12-09T00:00:00.0000000Z',
      TrialEndDate: null,
      Phases: [phase],
      CurrentPhase: phase,
      Balance: 0,
      CustomFields: {},
      BillingSuspended: false,
      RecurringPaymentsPaused: false,
      IsDeletable: false,
    },
    customer: {
      Language: 'de-DE',
      CustomerType: 'Consumer',
      DefaultBearerMedium: 'Email',
      DebitorAccount: String(10_000 + (k % 200)),
      FirstName: 'Bench',
      LastName: `Customer ${k % 200}`,
      EmailAddress: `bench${k % 200}@example.com`,
      ExternalCustomerId: null,
      Id: customerId,
      CreatedAt: date,
      DeletedAt: null,
      Address: {},
      CustomFields: {},
      IsLocked: false,
      IsDeletable: false,
      CustomerName: `Bench Customer ${k % 200}`,
    },
  };
}

/** A ContractChanged notice with a change id of its own, as the soak benchmark sends. */
function changeNotice(k: number) {
  return notice({
    Event: 'ContractChanged',
    EntityId: hex(0x100),
    ContractId: hex(0x9000 + (k % 200)),
    ContractChangeId: hex(0x1000000 + k),
    ContractChangeType: 'Upgrade',
    CustomerId: hex(0x8000 + (k % 200)),
  });
}

async function appendChange(log: EventLog, k: number): Promise<number> {
  const n = changeNotice(k);
  const result = await log.append(n, {
    dedupeKey: dedupeKey(n),
    mayRepeat: mayRepeat(n, 0),
    receivedAt: new Date(),
  });
  if (!result.stored) throw new Error(`change ${k} was not stored`);
  return result.seq;
}

/** Prunes in steps of `limit` until a step finds less; returns what each step removed. */
async function pruneAll(log: EventLog, maxEvents: number, limit: number): Promise<number[]> {
  const steps: number[] = [];
  for (;;) {
    const removed = await log.prune({ before: new Date(0), maxEvents, limit });
    steps.push(removed);
    if (removed < limit) return steps;
  }
}

/** Bytes of the database's pages that hold data (what the file needs, free pages aside). */
const usedBytes = (db: SqliteDatabase) =>
  ((db.pragma('page_count', { simple: true }) as number) -
    (db.pragma('freelist_count', { simple: true }) as number)) *
  (db.pragma('page_size', { simple: true }) as number);
const fileBytes = (db: SqliteDatabase) =>
  (db.pragma('page_count', { simple: true }) as number) *
  (db.pragma('page_size', { simple: true }) as number);

describe('SQLite event log retention', () => {
  let dir: string;
  let db: SqliteDatabase;
  let log: EventLog;
  const file = () => path.join(dir, 'gateway.db');
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-log-retention-'));
    db = openDatabase({ file: file() });
    log = createSqliteEventLog(db);
  });
  afterEach(async () => {
    if (db.open) await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the newest published events up to the bound, in bounded steps, and every unpublished one', async () => {
    const seqs: number[] = [];
    for (let k = 0; k < 30; k += 1) seqs.push(await appendChange(log, k));
    const waiting = [seqs[1]!, seqs[16]!];
    for (const seq of seqs) {
      if (!waiting.includes(seq)) await log.publish(seq, enrichmentOf(seq), 'published', new Date());
    }
    expect((await log.stats()).retained).toBe(28);

    const steps = await pruneAll(log, 10, 4);
    expect(steps).toEqual([4, 4, 4, 4, 2]);
    const kept = await log.readPublished(0, 100);
    expect(kept.map((e) => e.publishedSeq)).toEqual([19, 20, 21, 22, 23, 24, 25, 26, 27, 28]);
    expect((await log.pending(0, 10)).map((e) => e.seq)).toEqual(waiting);
    expect(await log.stats()).toMatchObject({ pending: 2, retained: 10, oldest: { publishedSeq: 19 } });
    expect(await pruneAll(log, 10, 4)).toEqual([0]);

    // A cursor older than what is kept is refused; one just before the oldest kept resumes with no gap.
    const hub = createEventHub({ log });
    await expect(hub.stream(() => true, { afterPublishedSeq: 17 })).rejects.toThrow(/expired/);
    const resumed = await hub.stream(() => true, { afterPublishedSeq: 18 });
    await expect(resumed.next()).resolves.toMatchObject({ value: { publishedSeq: 19 } });
    await resumed.return!(undefined);

    // The unpublished events go once published and past the bound, like the others.
    for (const seq of waiting) await log.publish(seq, undefined, 'published', new Date());
    expect(await pruneAll(log, 10, 100)).toEqual([2]);
    expect(await log.pending(0, 10)).toEqual([]);
    expect(await log.stats()).toMatchObject({ pending: 0, retained: 10, oldest: { publishedSeq: 21 } });
  });

  it('counts what it keeps from the rows when reopened', async () => {
    for (let k = 0; k < 12; k += 1) {
      const seq = await appendChange(log, k);
      if (k % 3 !== 0) await log.publish(seq, enrichmentOf(k), 'published', new Date());
    }
    await pruneAll(log, 5, 100);
    await log.close();
    log = createSqliteEventLog((db = openDatabase({ file: file() })));
    expect(await log.stats()).toMatchObject({ pending: 4, lastPublishedSeq: 8, retained: 5 });
  });

  it('stops growing once the bound is reached, and an event takes at most 1.5 KB', async () => {
    // Sizes, not durability, are measured here: without a flush per commit the 8,000 events take seconds.
    db.pragma('synchronous = OFF');
    const bound = 2_000;
    const sizes: number[] = [];
    for (let round = 0; round < 16; round += 1) {
      // A round's 500 webhooks arrive together, and are published together: a group commit each.
      const ks = Array.from({ length: 500 }, (_, i) => round * 500 + i);
      const seqs = await Promise.all(ks.map((k) => appendChange(log, k)));
      await Promise.all(
        seqs.map((seq, i) => log.publish(seq, enrichmentOf(ks[i]!), 'published', new Date())),
      );
      await pruneAll(log, bound, 200);
      sizes.push(fileBytes(db));
    }
    expect((await log.stats()).retained).toBe(bound);
    // The file holds the most (the bound and a round not yet pruned) from the fifth round on; eleven more
    // rounds (almost three times the bound) reuse the pages pruning frees.
    const atBound = sizes[4]!;
    expect(sizes[4]).toBeGreaterThan(sizes[3]!);
    expect(Math.max(...sizes.slice(5))).toBeLessThanOrEqual(atBound * 1.05);
    expect(usedBytes(db) / bound).toBeLessThanOrEqual(1_500);
  }, 60_000);
});

describe('SQLite event log of the earlier one-table layout', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-log-migration-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The `events` table as versions before the three-table layout created it (without `source`). */
  function writeEarlierLayout(file: string): void {
    const db = openDatabase({ file });
    db.exec(`
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, dedupe_key TEXT NOT NULL, may_repeat INTEGER NOT NULL,
        published_seq INTEGER UNIQUE, state TEXT NOT NULL DEFAULT 'received', event TEXT NOT NULL,
        contract_id TEXT, notice TEXT NOT NULL, received_at INTEGER NOT NULL, published_at INTEGER,
        enrichment TEXT, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT
      );
      CREATE INDEX events_dedupe ON events (dedupe_key);
      CREATE TABLE event_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE INDEX events_pending ON events (state) WHERE published_seq IS NULL;
      CREATE INDEX events_unpublished ON events (seq) WHERE published_seq IS NULL;
      CREATE INDEX events_contract ON events (contract_id, seq);
      CREATE TABLE event_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO event_counters VALUES ('published', 3);
      INSERT INTO event_meta VALUES ('watermark', '42');
    `);
    const insert = db.prepare(
      `INSERT INTO events (seq, dedupe_key, may_repeat, published_seq, state, event, contract_id, notice,
         received_at, published_at, enrichment, attempts, last_error)
       VALUES (?, ?, 0, ?, ?, 'ContractChanged', ?, ?, ?, ?, ?, ?, ?)`,
    );
    // Seq 1 was pruned; 2 and 3 are published (publication 2 and 3), 4 failed once and waits, and 5, the
    // newest, was published and then pruned, so receipt sequences must go on after it.
    for (const [seq, publishedSeq, state, attempts, lastError] of [
      [2, 2, 'published', 0, null],
      [3, 3, 'failed', 3, 'billwerk answered 503'],
      [4, null, 'received', 1, 'billwerk answered 502'],
      [5, 1, 'published', 0, null],
    ] as const) {
      const n = changeNotice(seq);
      insert.run(
        seq,
        dedupeKey(n),
        publishedSeq,
        state,
        n.contractId ?? null,
        JSON.stringify(n),
        Date.UTC(2026, 0, seq),
        publishedSeq === null ? null : Date.UTC(2026, 0, seq, 1),
        publishedSeq === null || state === 'failed' ? null : JSON.stringify(enrichmentOf(seq)),
        attempts,
        lastError,
      );
    }
    db.prepare('DELETE FROM events WHERE seq = 5').run();
    db.close();
  }

  it('is rewritten at open: events, cursors, attempts, dedupe and metadata carry over', async () => {
    const file = path.join(dir, 'gateway.db');
    writeEarlierLayout(file);
    const log = createSqliteEventLog(openDatabase({ file }));
    try {
      // The rewrite does not leave a WAL the size of the log behind.
      expect(statSync(`${file}-wal`).size).toBe(0);
      expect((await log.readPublished(1, 10)).map((e) => [e.seq, e.publishedSeq, e.state])).toEqual([
        [2, 2, 'published'],
        [3, 3, 'failed'],
      ]);
      const [published] = await log.readPublished(1, 1);
      expect(published).toMatchObject({
        source: 'webhook',
        notice: { kind: 'contractChange', changeId: hex(0x1000002) },
        enrichment: enrichmentOf(2),
        publishedAt: new Date(Date.UTC(2026, 0, 2, 1)),
      });
      expect(await log.get(3)).toMatchObject({ attempts: 3, lastError: 'billwerk answered 503' });
      expect(await log.pending(0, 10)).toMatchObject([
        { seq: 4, state: 'received', attempts: 1, lastError: 'billwerk answered 502' },
      ]);
      expect(await log.stats()).toMatchObject({ pending: 1, lastPublishedSeq: 3, retained: 2 });
      expect(await log.getMeta('watermark')).toBe('42');
      // A retry of a change stored before the upgrade is still a duplicate.
      const again = changeNotice(2);
      await expect(
        log.append(again, { dedupeKey: dedupeKey(again), mayRepeat: false, receivedAt: new Date() }),
      ).resolves.toEqual({ stored: false, duplicateOf: 2 });
      expect(await appendChange(log, 6)).toBe(6);
      expect((await log.publish(4, enrichmentOf(4), 'published', new Date())).publishedSeq).toBe(4);
      expect((await log.pending(0, 10)).map((e) => e.seq)).toEqual([6]);
    } finally {
      await log.close();
    }
    // Opened again, nothing is migrated twice.
    const reopened = createSqliteEventLog(openDatabase({ file }));
    expect(await reopened.stats()).toMatchObject({ pending: 1, lastPublishedSeq: 4, retained: 3 });
    await reopened.close();
  });
});
