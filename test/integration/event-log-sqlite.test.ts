// The EventLog contract against the embedded SQLite log (a file in a temporary folder), and rows read
// back through the parser whatever wrote them, and writes asked for together (one group commit).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type EventLog } from '../../src/events/event-log.js';
import { dedupeKey, mayRepeat, type ParsedNotice } from '../../src/events/notice.js';
import { createSqliteEventLog } from '../../src/events/sqlite-event-log.js';
import { StoredEventError } from '../../src/events/stored-event.js';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { notice } from '../helpers/notices.js';
import { describeEventLogContract } from './event-log.contract.js';

let dir: string | undefined;
const file = () => path.join(dir!, 'events.db');

describeEventLogContract('SQLite', {
  open: () => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-log-'));
    return Promise.resolve(createSqliteEventLog(openDatabase({ file: file() })));
  },
  reopen: () => Promise.resolve(createSqliteEventLog(openDatabase({ file: file() }))),
  cleanup: () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
    return Promise.resolve();
  },
});

describe('SQLite rows read back', () => {
  let db: SqliteDatabase;
  let log: EventLog;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-log-'));
    db = openDatabase({ file: file() });
    log = createSqliteEventLog(db);
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir!, { recursive: true, force: true });
  });

  /** A row as written by hand: a JSON text notice, published with `state` when one is given. */
  const insert = (notice: string, state?: string) => {
    const seq = Number(
      db
        .prepare(
          `INSERT INTO events (dedupe_key, may_repeat, event, source, notice, received_at)
           VALUES ('key', 1, 'ContractChanged', 'webhook', ?, 0)`,
        )
        .run(notice).lastInsertRowid,
    );
    if (state === undefined) db.prepare('INSERT INTO event_pending (seq) VALUES (?)').run(seq);
    else {
      db.prepare(
        `INSERT INTO event_published (published_seq, seq, state, published_at, attempts) VALUES (?, ?, ?, 0, 0)`,
      ).run(seq, seq, state);
    }
    return seq;
  };

  it('reads a notice an older version accepted with a non-ObjectId id as an unknown event', async () => {
    const payload = { Event: 'ContractChanged', ContractId: 'c1' };
    insert(JSON.stringify({ event: 'ContractChanged', contractId: 'c1', payload }));
    const [legacy] = await log.pending(0, 10);
    expect(legacy!.notice).toEqual({ kind: 'unknown', event: 'ContractChanged', payload });
  });

  it('refuses a damaged row with an error naming it, not a value of the wrong shape', async () => {
    const notice = JSON.stringify({ payload: { Event: 'ContractDeleted', ContractId: 'a'.repeat(24) } });
    const fine = insert(notice);
    const truncated = insert('{"payload":');
    const unpackable = Number(
      db
        .prepare(
          `INSERT INTO events (dedupe_key, may_repeat, event, source, notice, received_at)
           VALUES ('key', 1, 'ContractChanged', 'webhook', ?, 0)`,
        )
        .run(Buffer.from([1, 0xff, 0x00])).lastInsertRowid,
    );
    const unknownState = insert(notice, 'teleported');
    await expect(log.get(fine)).resolves.toMatchObject({ notice: { kind: 'contract' } });
    await expect(log.get(truncated)).rejects.toThrow(
      new StoredEventError(truncated, 'its notice is not JSON'),
    );
    await expect(log.get(unpackable)).rejects.toThrow(
      new StoredEventError(unpackable, 'its notice cannot be unpacked'),
    );
    await expect(log.get(unknownState)).rejects.toThrow(/cannot be read: state: /);
  });

  it('parses an enrichment when it is read, so a damaged one fails there and not the whole event', async () => {
    const notice = JSON.stringify({ payload: { Event: 'ContractDeleted', ContractId: 'a'.repeat(24) } });
    const seq = insert(notice, 'published');
    db.prepare('UPDATE event_published SET enrichment = ? WHERE seq = ?').run('{"contract":', seq);
    const [event] = await log.readPublished(0, 10);
    expect(event).toMatchObject({ seq, notice: { kind: 'contract' } });
    expect(() => event!.enrichment).toThrow(new StoredEventError(seq, 'its enrichment is not JSON'));
  });
});

/** A fresh log in a temporary folder for each test of the block, as `log()`. */
function freshLog(): () => EventLog {
  let log: EventLog;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'event-log-'));
    log = createSqliteEventLog(openDatabase({ file: file() }));
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir!, { recursive: true, force: true });
  });
  return () => log;
}

describe('SQLite appends committed together', () => {
  const log = freshLog();

  it('stores a notice once when it and two retries of it arrive in one group', async () => {
    const change = notice({
      Event: 'ContractChanged',
      ContractId: '645b429bb73d36f442b223df',
      ContractChangeId: '645b42d7f85fee194bce8990',
    });
    const other = notice({ Event: 'CustomerChanged', CustomerId: '645b429bb73d36f442b223db' });
    const append = (n: ParsedNotice, retry: number) =>
      log().append(n, { dedupeKey: dedupeKey(n), mayRepeat: mayRepeat(n, retry), receivedAt: new Date() });
    const results = await Promise.all([
      append(change, 0),
      append(other, 0),
      append(change, 1),
      append(change, 2),
    ]);
    expect(results).toEqual([
      { stored: true, seq: 1 },
      { stored: true, seq: 2 },
      { stored: false, duplicateOf: 1 },
      { stored: false, duplicateOf: 1 },
    ]);
    expect((await log().stats()).pending).toBe(2);
  });

  it('publishes events asked for together in the order asked, each once', async () => {
    const stored = await Promise.all(
      ['A', 'B', 'C'].map((event) => {
        const n = notice({ Event: event });
        return log().append(n, { dedupeKey: dedupeKey(n), mayRepeat: true, receivedAt: new Date() });
      }),
    );
    const seqs = stored.map((result) => (result as { seq: number }).seq);
    const at = new Date();
    const published = await Promise.all([
      log().publish(seqs[1]!, {}, 'published', at),
      log().publish(seqs[0]!, {}, 'published', at),
      log().publish(seqs[1]!, {}, 'published', at),
      log().publish(seqs[2]!, undefined, 'failed', at),
    ]);
    expect(published.map((event) => [event.seq, event.publishedSeq])).toEqual([
      [seqs[1], 1],
      [seqs[0], 2],
      [seqs[1], 1],
      [seqs[2], 3],
    ]);
    expect(await log().stats()).toMatchObject({ pending: 0, retained: 3, lastPublishedSeq: 3 });
  });
});

describe('SQLite published events read for one contract', () => {
  const log = freshLog();

  const contract = (i: number) => `645b429bb73d36f442b2${i.toString(16).padStart(4, '0')}`;
  const append = async (contractId: string) => {
    const n = notice({ Event: 'ContractChanged', ContractId: contractId });
    const result = await log().append(n, {
      dedupeKey: dedupeKey(n),
      mayRepeat: true,
      receivedAt: new Date(),
    });
    return (result as { seq: number }).seq;
  };

  it('returns only that contract’s events after the cursor, in publication order, a page at a time', async () => {
    // Three rounds over 200 contracts; the contract watched has its last two published out of receipt order.
    const watched = contract(7);
    const seqs: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 200; i += 1) seqs.push(await append(contract(i)));
    }
    const watchedSeqs = seqs.filter((_, index) => index % 200 === 7);
    const order = seqs.filter((seq) => seq !== watchedSeqs[1] && seq !== watchedSeqs[2]);
    order.splice(450, 0, watchedSeqs[2]!, watchedSeqs[1]!);
    const publishedSeqOf = new Map<number, number>();
    for (const seq of order) {
      publishedSeqOf.set(seq, (await log().publish(seq, {}, 'published', new Date())).publishedSeq!);
    }
    // A cursor past the watched contract's first event: its other two are what was missed.
    const cursor = publishedSeqOf.get(watchedSeqs[0]!)! + 1;
    const missed = [watchedSeqs[2]!, watchedSeqs[1]!].map((seq) => [seq, publishedSeqOf.get(seq)]);

    const read = await log().readPublished(cursor, 500, { contractId: watched });
    expect(read.map((event) => [event.seq, event.publishedSeq])).toEqual(missed);
    expect(read.every((event) => event.notice.contractId === watched)).toBe(true);
    // Whatever is read unscoped and then filtered is the same.
    const everything = await log().readPublished(cursor, 1000);
    expect(everything.length).toBeGreaterThan(400);
    expect(everything.filter((event) => event.notice.contractId === watched)).toEqual(read);

    const first = await log().readPublished(cursor, 1, { contractId: watched });
    expect(first.map((event) => event.seq)).toEqual([missed[0]![0]]);
    const rest = await log().readPublished(first[0]!.publishedSeq!, 1, { contractId: watched });
    expect(rest.map((event) => event.seq)).toEqual([missed[1]![0]]);
    expect(await log().readPublished(rest[0]!.publishedSeq!, 1, { contractId: watched })).toEqual([]);
    expect(await log().readPublished(0, 10, { contractId: contract(999) })).toEqual([]);
  });
});
