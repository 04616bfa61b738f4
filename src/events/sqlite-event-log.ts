// The embedded event log in SQLite, as three tables (sqlite-event-schema.ts) each written once per row, so
// pages stay full:
//   events           a notice on receipt (`seq`, receipt order); never updated
//   event_pending    an event not yet published, with its failed attempts; deleted on publication
//   event_published  an event's publication (`published_seq`, what cursors count) and its enrichment
// The dedupe key is unique among events that may not repeat. Notices and enrichments are stored packed
// (stored-codec.ts). better-sqlite3 is synchronous: a read does its work at once and settles its promise
// with it; appends, publications and failed attempts are group-committed (store/group-commit.ts), each
// answered once the shared transaction is on disk.
import { type SqliteDatabase } from '../store/database.js';
import { createGroupCommit } from '../store/group-commit.js';
import type {
  AppendOptions,
  AppendResult,
  DeliveryState,
  Enrichment,
  EventListQuery,
  EventLog,
  PruneStep,
  StoredEvent,
} from './event-log.js';
import { type ParsedNotice } from './notice.js';
import { openEventTables } from './sqlite-event-schema.js';
import { packJson } from './stored-codec.js';
import { eventFromRow } from './stored-event.js';
import { settle } from '../store/settle.js';

/** An event with its publication or its pending attempts, in the shape eventFromRow reads. */
const SELECT_EVENT = `
  SELECT e.seq, e.source, e.notice, e.received_at, p.published_seq, p.state, p.published_at, p.enrichment,
         coalesce(p.attempts, q.attempts) AS attempts, coalesce(p.last_error, q.last_error) AS last_error
  FROM events e LEFT JOIN event_published p ON p.seq = e.seq LEFT JOIN event_pending q ON q.seq = e.seq`;

/** The statements that read the log, prepared once. */
function prepareReads(db: SqliteDatabase) {
  return {
    pending: db.prepare<[number, number], unknown>(
      `${SELECT_EVENT} WHERE e.seq IN (SELECT seq FROM event_pending WHERE seq > ? ORDER BY seq LIMIT ?)
       ORDER BY e.seq`,
    ),
    bySeq: db.prepare<[number], unknown>(`${SELECT_EVENT} WHERE e.seq = ?`),
    readPublished: db.prepare<[number, number], unknown>(
      `SELECT e.seq, e.source, e.notice, e.received_at, p.published_seq, p.state, p.published_at,
              p.enrichment, p.attempts, p.last_error
       FROM event_published p JOIN events e ON e.seq = p.seq
       WHERE p.published_seq > ? ORDER BY p.published_seq LIMIT ?`,
    ),
    // One contract's events through events_contract, then in publication order: a resumed subscription
    // limited to one contract reads and decodes its own events, not every event since its cursor.
    readPublishedOfContract: db.prepare<[string, number, number], unknown>(
      `SELECT e.seq, e.source, e.notice, e.received_at, p.published_seq, p.state, p.published_at,
              p.enrichment, p.attempts, p.last_error
       FROM events e JOIN event_published p ON p.seq = e.seq
       WHERE e.contract_id = ? AND p.published_seq > ? ORDER BY p.published_seq LIMIT ?`,
    ),
    newest: db.prepare<[], { seq: number }>(
      "SELECT value AS seq FROM event_counters WHERE name = 'published'",
    ),
    oldestPublished: db.prepare<[number], { published_seq: number; received_at: number }>(
      `SELECT p.published_seq, e.received_at FROM event_published p JOIN events e ON e.seq = p.seq
       ORDER BY p.published_seq LIMIT ?`,
    ),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM event_meta WHERE key = ?'),
    setMeta: db.prepare(
      'INSERT INTO event_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  };
}
type Reads = ReturnType<typeof prepareReads>;

/**
 * Appending, to run inside a group's transaction: a retry of a notice appended earlier in the same group
 * is found like any other (the group's rows are visible to its own statements), so dedupe stays exact.
 */
function prepareAppend(db: SqliteDatabase): (notice: ParsedNotice, options: AppendOptions) => AppendResult {
  const findDuplicate = db.prepare<[string], { seq: number }>(
    'SELECT seq FROM events WHERE dedupe_key = ? ORDER BY seq DESC LIMIT 1',
  );
  const insert = db.prepare(
    `INSERT INTO events (dedupe_key, may_repeat, event, contract_id, source, received_at, notice)
     VALUES (@dedupeKey, @mayRepeat, @event, @contractId, @source, @receivedAt, @notice)`,
  );
  const insertPending = db.prepare<[number]>('INSERT INTO event_pending (seq) VALUES (?)');
  return (notice, options) => {
    if (!options.mayRepeat) {
      const earlier = findDuplicate.get(options.dedupeKey);
      if (earlier) return { stored: false, duplicateOf: earlier.seq };
    }
    // The payload alone: the parsed fields are derived from it again on reading (noticeFromStore).
    const info = insert.run({
      dedupeKey: options.dedupeKey,
      mayRepeat: options.mayRepeat ? 1 : 0,
      event: notice.event,
      contractId: notice.contractId ?? null,
      notice: packJson({ payload: notice.payload }),
      receivedAt: options.receivedAt.getTime(),
      source: options.source ?? 'webhook',
    });
    const seq = Number(info.lastInsertRowid);
    insertPending.run(seq);
    return { stored: true, seq };
  };
}

/** Publishing, inside a group's transaction; it says whether it took the event out of event_pending. */
function preparePublish(db: SqliteDatabase, { bySeq }: Reads) {
  const nextPublished = db.prepare<[], { next: number }>(
    "UPDATE event_counters SET value = value + 1 WHERE name = 'published' RETURNING value AS next",
  );
  const takePending = db.prepare<[number], { attempts: number; last_error: string | null }>(
    'DELETE FROM event_pending WHERE seq = ? RETURNING attempts, last_error',
  );
  const insertPublished = db.prepare(
    `INSERT INTO event_published (published_seq, seq, state, published_at, attempts, last_error, enrichment)
     VALUES (@publishedSeq, @seq, @state, @at, @attempts, @lastError, @enrichment)`,
  );
  return (
    seq: number,
    enrichment: Enrichment | undefined,
    state: DeliveryState,
    at: Date,
  ): { event: StoredEvent; fresh: boolean; wasPending: boolean } => {
    const row = bySeq.get(seq);
    if (!row) throw new Error(`event ${seq} is not in the log`);
    const stored = eventFromRow(row);
    if (stored.publishedSeq !== undefined) return { event: stored, fresh: false, wasPending: false };
    const taken = takePending.get(seq);
    const { next } = nextPublished.get()!;
    insertPublished.run({
      seq,
      publishedSeq: next,
      state,
      at: at.getTime(),
      attempts: taken?.attempts ?? 0,
      lastError: taken?.last_error ?? null,
      enrichment: enrichment === undefined ? null : packJson(enrichment),
    });
    // The event as stored, without reading it back: what was just written is known.
    const event = { ...stored, publishedSeq: next, state, publishedAt: at, enrichment };
    return { event, fresh: true, wasPending: taken !== undefined };
  };
}

/**
 * One pruning step, as a transaction that returns how many events went. Only published events go, oldest
 * first, and only a prefix of publication order: an event still waiting for enrichment is kept until it is
 * delivered, and what stays has no gap a cursor could miss.
 */
function preparePrune(db: SqliteDatabase, { newest, oldestPublished }: Reads) {
  const dropEvents = db.prepare<[number]>(
    'DELETE FROM events WHERE seq IN (SELECT seq FROM event_published WHERE published_seq <= ?)',
  );
  const dropPublished = db.prepare<[number]>('DELETE FROM event_published WHERE published_seq <= ?');
  const prune = db.transaction(({ before, maxEvents, limit }: PruneStep): number => {
    const pastCount = newest.get()!.seq - maxEvents;
    let upTo = 0;
    let count = 0;
    for (const row of oldestPublished.iterate(Math.max(0, Math.floor(limit)))) {
      if (row.published_seq > pastCount && row.received_at >= before.getTime()) break;
      upTo = row.published_seq;
      count += 1;
    }
    if (count === 0) return 0;
    dropEvents.run(upTo);
    dropPublished.run(upTo);
    return count;
  });
  // A step's commit is not synced: were it lost, its rows would only be pruned again, and the next
  // synced commit (every append's) writes it to disk anyway. That keeps a disk flush out of the step.
  return (step: PruneStep): number => {
    const synchronous = db.pragma('synchronous', { simple: true }) as number;
    db.pragma('synchronous = NORMAL');
    try {
      return prune.immediate(step);
    } finally {
      db.pragma(`synchronous = ${synchronous}`);
    }
  };
}

function list(db: SqliteDatabase, query: EventListQuery): StoredEvent[] {
  const where = ['e.seq > ?'];
  const params: (string | number)[] = [query.afterSeq ?? 0];
  if (query.types && query.types.length > 0) {
    where.push(`lower(e.event) IN (${query.types.map(() => '?').join(', ')})`);
    params.push(...query.types.map((type) => type.toLowerCase()));
  }
  if (query.contractId !== undefined) {
    where.push('e.contract_id = ?');
    params.push(query.contractId);
  }
  if (query.from) {
    where.push('e.received_at >= ?');
    params.push(query.from.getTime());
  }
  if (query.to) {
    where.push('e.received_at < ?');
    params.push(query.to.getTime());
  }
  params.push(Math.max(0, Math.floor(query.first)));
  return db
    .prepare<(string | number)[], unknown>(
      `${SELECT_EVENT} WHERE ${where.join(' AND ')} ORDER BY e.seq LIMIT ?`,
    )
    .all(...params)
    .map(eventFromRow);
}

export function createSqliteEventLog(db: SqliteDatabase): EventLog {
  openEventTables(db);
  const reads = prepareReads(db);
  const append = prepareAppend(db);
  const publish = preparePublish(db, reads);
  const prune = preparePrune(db, reads);
  const failure = db.prepare<[string, number]>(
    'UPDATE event_pending SET attempts = attempts + 1, last_error = ? WHERE seq = ?',
  );
  // Kept as events come and go, so the gauges cost the same at any size (counted once, at open).
  let pendingCount = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM event_pending').get()!.n;
  let retainedCount = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM event_published').get()!.n;
  const writes = createGroupCommit(db);
  return {
    // The gauges move once the write is committed; a group that failed to commit changed nothing.
    append: async (notice, options) => {
      const result = await writes.run(() => append(notice, options));
      if (result.stored) pendingCount += 1;
      return result;
    },
    pending: (afterSeq, limit) => settle(() => reads.pending.all(afterSeq, limit).map(eventFromRow)),
    recordFailure: (seq, error) => writes.run(() => void failure.run(error.slice(0, 500), seq)),
    publish: async (seq, enrichment, state, at) => {
      const { event, fresh, wasPending } = await writes.run(() => publish(seq, enrichment, state, at));
      if (wasPending) pendingCount -= 1;
      if (fresh) retainedCount += 1;
      return event;
    },
    readPublished: (after, limit, scope) =>
      settle(() =>
        (scope?.contractId === undefined
          ? reads.readPublished.all(after, limit)
          : reads.readPublishedOfContract.all(scope.contractId, after, limit)
        ).map(eventFromRow),
      ),
    oldestPublishedSeq: () => settle(() => reads.oldestPublished.get(1)?.published_seq),
    lastPublishedSeq: () => settle(() => reads.newest.get()!.seq),
    list: (query) => settle(() => list(db, query)),
    get: (seq) =>
      settle(() => {
        const row = reads.bySeq.get(seq);
        return row ? eventFromRow(row) : undefined;
      }),
    getMeta: (key) => settle(() => reads.getMeta.get(key)?.value),
    setMeta: (key, value) => settle(() => void reads.setMeta.run(key, value)),
    stats: () =>
      settle(() => {
        const first = reads.oldestPublished.get(1);
        return {
          pending: pendingCount,
          lastPublishedSeq: reads.newest.get()!.seq,
          retained: retainedCount,
          oldest: first && { publishedSeq: first.published_seq, receivedAt: new Date(first.received_at) },
        };
      }),
    prune: (step) =>
      settle(() => {
        const count = prune(step);
        retainedCount -= count;
        return count;
      }),
    close: () =>
      settle(() => {
        writes.flush();
        db.close();
      }),
  };
}
