// The embedded event log in SQLite, as three tables (sqlite-event-schema.ts) each written once per row, so
// pages stay full:
//   events           a notice on receipt (`seq`, receipt order); never updated
//   event_pending    an event not yet published, with its failed attempts; deleted on publication
//   event_published  an event's publication (`published_seq`, what cursors count) and its enrichment
// The dedupe key is unique among events that may not repeat. Notices and enrichments are stored packed
// (stored-codec.ts). better-sqlite3 is synchronous: a read does its work at once on this thread's
// connection and settles its promise with it (WAL: it never waits for the writer, and sees each commit
// once it is done). Every write runs in the writer thread (sqlite-event-writer.ts) on a connection of its
// own, group-committed there, each answered once the shared transaction is on disk.
import { createLogger, type Logger } from '../logger.js';
import { type SqliteDatabase } from '../store/database.js';
import type { AppendOptions, EventListQuery, EventLog, EventSource, StoredEvent } from './event-log.js';
import { type ParsedNotice } from './notice.js';
import { openEventTables, SELECT_EVENT } from './sqlite-event-schema.js';
import { type Publication } from './sqlite-event-writer.js';
import { startWriterThread } from './sqlite-writer-thread.js';
import { eventFromRow } from './stored-event.js';
import { settle } from '../store/settle.js';

export interface SqliteEventLogOptions {
  /** Where a failure of the writer thread is reported. @default a silent logger */
  logger?: Logger;
  /**
   * How many events appended here and not yet published keep their notice in memory, so that publishing
   * one does not read and decode its stored notice again; past it, publication reads the row. @default 10000
   */
  maxNoticesKept?: number;
  /** The writer thread's module (a test's may wrap the real one). @default the compiled sqlite-event-writer.js */
  writer?: URL;
}

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
    pendingCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM event_pending'),
    retainedCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM event_published'),
  };
}
type Reads = ReturnType<typeof prepareReads>;

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

/** What the log knows of an event appended here until it is published. */
interface Appended {
  notice: ParsedNotice;
  source: EventSource;
  receivedAt: number;
}

/**
 * The published event from what the writer answered: the notice kept since its append when there is one,
 * else the row the writer read (decoded here, on the event loop, as any read is).
 */
function publishedEvent(
  seq: number,
  kept: Appended | undefined,
  publication: Publication,
  { state, at, enrichment }: Pick<StoredEvent, 'enrichment'> & { state: StoredEvent['state']; at: Date },
): StoredEvent {
  if (!publication.fresh) return eventFromRow(publication.row);
  const { publishedSeq, attempts } = publication;
  const published = { publishedSeq, state, publishedAt: at, enrichment, attempts };
  if (!kept) return { ...eventFromRow(publication.row), ...published };
  const { notice, source, receivedAt } = kept;
  const lastError = publication.lastError ?? undefined;
  return { seq, source, notice, receivedAt: new Date(receivedAt), lastError, ...published };
}

/** Kept as events come and go, so the gauges cost the same at any size. */
interface Gauges {
  pending: number;
  retained: number;
}

type Reading = Exclude<
  keyof EventLog,
  'append' | 'recordFailure' | 'publish' | 'setMeta' | 'prune' | 'close'
>;

/** The log's reads, on this thread's connection. */
function readsOf(db: SqliteDatabase, reads: Reads, gauges: Gauges): Pick<EventLog, Reading> {
  return {
    pending: (afterSeq, limit) => settle(() => reads.pending.all(afterSeq, limit).map(eventFromRow)),
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
    stats: () =>
      settle(() => {
        const first = reads.oldestPublished.get(1);
        return {
          pending: gauges.pending,
          lastPublishedSeq: reads.newest.get()!.seq,
          retained: gauges.retained,
          oldest: first && { publishedSeq: first.published_seq, receivedAt: new Date(first.received_at) },
        };
      }),
  };
}

/**
 * The log over `db`, an open database file (database.ts). It must be a file: the writer thread opens a
 * connection of its own, and a ':memory:' database belongs to the one connection that opened it. One code
 * path for every log, so tests use temporary files.
 */
export function createSqliteEventLog(db: SqliteDatabase, options: SqliteEventLogOptions = {}): EventLog {
  if (db.memory) throw new Error("the SQLite event log needs a database file, not ':memory:'");
  openEventTables(db);
  const reads = prepareReads(db);
  const maxKept = options.maxNoticesKept ?? 10_000;
  const appended = new Map<number, Appended>();
  // Counted at open, and again after a writer died: it may have committed writes it never answered.
  const gauges: Gauges = { pending: 0, retained: 0 };
  const count = () => {
    gauges.pending = reads.pendingCount.get()!.n;
    gauges.retained = reads.retainedCount.get()!.n;
  };
  count();
  const writer = startWriterThread({
    file: db.name,
    logger: options.logger ?? createLogger({ level: 'silent' }),
    onDied: count,
    module: options.writer,
  });
  return {
    ...readsOf(db, reads, gauges),
    // The gauges move once the write is committed; a group that failed to commit changed nothing.
    append: async (notice, { dedupeKey, mayRepeat, receivedAt, source = 'webhook' }: AppendOptions) => {
      const at = receivedAt.getTime();
      const result = await writer.write({
        op: 'append',
        dedupeKey,
        mayRepeat,
        event: notice.event,
        contractId: notice.contractId ?? null,
        source,
        receivedAt: at,
        notice: JSON.stringify({ payload: notice.payload }),
      });
      if (!result.stored) return result;
      gauges.pending += 1;
      if (appended.size < maxKept) appended.set(result.seq, { notice, source, receivedAt: at });
      return result;
    },
    recordFailure: (seq, error) => writer.write({ op: 'failure', seq, error: error.slice(0, 500) }),
    publish: async (seq, enrichment, state, at) => {
      const kept = appended.get(seq);
      const publication = await writer.write({
        op: 'publish',
        seq,
        state,
        at: at.getTime(),
        enrichment: enrichment === undefined ? null : JSON.stringify(enrichment),
        withRow: !kept,
      });
      appended.delete(seq);
      if (publication.fresh) {
        if (publication.wasPending) gauges.pending -= 1;
        gauges.retained += 1;
      }
      return publishedEvent(seq, kept, publication, { state, at, enrichment });
    },
    setMeta: (key, value) => writer.write({ op: 'setMeta', key, value }),
    // The step runs in the writer thread and is timed there: it holds no part of the event loop.
    prune: async ({ before, maxEvents, limit }, ranFor) => {
      const { removed, ms } = await writer.write({ op: 'prune', before: before.getTime(), maxEvents, limit });
      gauges.retained -= removed;
      ranFor?.(ms);
      return removed;
    },
    close: async () => {
      try {
        await writer.close();
      } finally {
        db.close();
      }
    },
  };
}
