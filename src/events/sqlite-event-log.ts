// The embedded event log: an append-only SQLite table. `seq` is receipt order, `published_seq` the
// publication order that cursors count; the dedupe key is unique among events that may not repeat.
// better-sqlite3 is synchronous: each method does its work at once and settles its promise with it.
import { type SqliteDatabase } from '../store/database.js';
import type {
  AppendOptions,
  AppendResult,
  Enrichment,
  EventListQuery,
  EventLog,
  StoredEvent,
} from './event-log.js';
import { type ParsedNotice } from './notice.js';
import { eventFromRow } from './stored-event.js';

/** Runs synchronous work and hands its outcome over as a promise (a throw becomes a rejection). */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

export function createSqliteEventLog(db: SqliteDatabase): EventLog {
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      seq           INTEGER PRIMARY KEY AUTOINCREMENT,
      dedupe_key    TEXT NOT NULL,
      may_repeat    INTEGER NOT NULL,
      published_seq INTEGER UNIQUE,
      state         TEXT NOT NULL DEFAULT 'received',
      event         TEXT NOT NULL,
      contract_id   TEXT,
      notice        TEXT NOT NULL,
      received_at   INTEGER NOT NULL,
      published_at  INTEGER,
      enrichment    TEXT,
      attempts      INTEGER NOT NULL DEFAULT 0,
      last_error    TEXT
    );
    CREATE INDEX IF NOT EXISTS events_dedupe ON events (dedupe_key);
    -- The publication counter lives apart from the rows, so pruning old events never reuses a cursor.
    CREATE TABLE IF NOT EXISTS event_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO event_counters (name, value) VALUES ('published', 0);
    CREATE INDEX IF NOT EXISTS events_pending ON events (state) WHERE published_seq IS NULL;
    -- The backlog is read in pages of receipt order (pipeline.ts resume).
    CREATE INDEX IF NOT EXISTS events_unpublished ON events (seq) WHERE published_seq IS NULL;
    CREATE INDEX IF NOT EXISTS events_contract ON events (contract_id, seq);
    CREATE TABLE IF NOT EXISTS event_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `);
  // Databases created before events had a source get the column with its default.
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('events')").all();
  if (!columns.some((column) => column.name === 'source')) {
    db.exec("ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'webhook'");
  }

  const findDuplicate = db.prepare<[string], { seq: number }>(
    'SELECT seq FROM events WHERE dedupe_key = ? ORDER BY seq DESC LIMIT 1',
  );
  const insert = db.prepare(
    `INSERT INTO events (dedupe_key, may_repeat, event, contract_id, notice, received_at, source)
     VALUES (@dedupeKey, @mayRepeat, @event, @contractId, @notice, @receivedAt, @source)`,
  );
  const append = db.transaction((notice: ParsedNotice, options: AppendOptions): AppendResult => {
    if (!options.mayRepeat) {
      const earlier = findDuplicate.get(options.dedupeKey);
      if (earlier) return { stored: false, duplicateOf: earlier.seq };
    }
    const info = insert.run({
      dedupeKey: options.dedupeKey,
      mayRepeat: options.mayRepeat ? 1 : 0,
      event: notice.event,
      contractId: notice.contractId ?? null,
      notice: JSON.stringify(notice),
      receivedAt: options.receivedAt.getTime(),
      source: options.source ?? 'webhook',
    });
    return { stored: true, seq: Number(info.lastInsertRowid) };
  });
  const pending = db.prepare<[number, number], unknown>(
    'SELECT * FROM events WHERE published_seq IS NULL AND seq > ? ORDER BY seq LIMIT ?',
  );
  const pendingCount = db.prepare<[], { n: number }>(
    'SELECT COUNT(*) AS n FROM events WHERE published_seq IS NULL',
  );
  const retainedCount = db.prepare<[], { n: number }>(
    'SELECT COUNT(*) AS n FROM events WHERE published_seq IS NOT NULL',
  );
  const failure = db.prepare('UPDATE events SET attempts = attempts + 1, last_error = ? WHERE seq = ?');
  const nextPublished = db.prepare<[], { next: number }>(
    "UPDATE event_counters SET value = value + 1 WHERE name = 'published' RETURNING value AS next",
  );
  const markPublished = db.prepare(
    `UPDATE events SET published_seq = @publishedSeq, state = @state, published_at = @at, enrichment = @enrichment
     WHERE seq = @seq`,
  );
  const bySeq = db.prepare<[number], unknown>('SELECT * FROM events WHERE seq = ?');
  const publish = db.transaction(
    (seq: number, enrichment: Enrichment | undefined, state: 'published' | 'failed', at: Date) => {
      const row = bySeq.get(seq);
      if (!row) throw new Error(`event ${seq} is not in the log`);
      const stored = eventFromRow(row);
      if (stored.publishedSeq !== undefined) return stored;
      const { next } = nextPublished.get()!;
      markPublished.run({
        seq,
        publishedSeq: next,
        state,
        at: at.getTime(),
        enrichment: enrichment === undefined ? null : JSON.stringify(enrichment),
      });
      return eventFromRow(bySeq.get(seq));
    },
  );
  const readPublished = db.prepare<[number, number], unknown>(
    'SELECT * FROM events WHERE published_seq > ? ORDER BY published_seq LIMIT ?',
  );
  const oldest = db.prepare<[], { seq: number | null }>('SELECT MIN(published_seq) AS seq FROM events');
  const newest = db.prepare<[], { seq: number }>(
    "SELECT value AS seq FROM event_counters WHERE name = 'published'",
  );
  // Only published events expire: an event still waiting for enrichment is kept until it is delivered.
  const prune = db.prepare('DELETE FROM events WHERE received_at < ? AND published_seq IS NOT NULL');
  const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM event_meta WHERE key = ?');
  const setMeta = db.prepare(
    'INSERT INTO event_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );

  function list(query: EventListQuery): StoredEvent[] {
    const where = ['seq > ?'];
    const params: (string | number)[] = [query.afterSeq ?? 0];
    if (query.types && query.types.length > 0) {
      where.push(`lower(event) IN (${query.types.map(() => '?').join(', ')})`);
      params.push(...query.types.map((type) => type.toLowerCase()));
    }
    if (query.contractId !== undefined) {
      where.push('contract_id = ?');
      params.push(query.contractId);
    }
    if (query.from) {
      where.push('received_at >= ?');
      params.push(query.from.getTime());
    }
    if (query.to) {
      where.push('received_at < ?');
      params.push(query.to.getTime());
    }
    params.push(Math.max(0, Math.floor(query.first)));
    return db
      .prepare<(string | number)[], unknown>(
        `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`,
      )
      .all(...params)
      .map(eventFromRow);
  }

  return {
    append: (notice, options) => settle(() => append.immediate(notice, options)),
    pending: (afterSeq, limit) => settle(() => pending.all(afterSeq, limit).map(eventFromRow)),
    recordFailure: (seq, error) => settle(() => void failure.run(error.slice(0, 500), seq)),
    publish: (seq, enrichment, state, at) => settle(() => publish.immediate(seq, enrichment, state, at)),
    readPublished: (after, limit) => settle(() => readPublished.all(after, limit).map(eventFromRow)),
    oldestPublishedSeq: () => settle(() => oldest.get()?.seq ?? undefined),
    lastPublishedSeq: () => settle(() => newest.get()!.seq),
    list: (query) => settle(() => list(query)),
    get: (seq) =>
      settle(() => {
        const row = bySeq.get(seq);
        return row ? eventFromRow(row) : undefined;
      }),
    getMeta: (key) => settle(() => getMeta.get(key)?.value),
    setMeta: (key, value) => settle(() => void setMeta.run(key, value)),
    stats: () =>
      settle(() => ({
        pending: pendingCount.get()!.n,
        lastPublishedSeq: newest.get()!.seq,
        retained: retainedCount.get()!.n,
      })),
    prune: (before) => settle(() => prune.run(before.getTime()).changes),
    close: () => settle(() => void db.close()),
  };
}
