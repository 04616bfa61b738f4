// The embedded event log: an append-only SQLite table. `seq` is receipt order, `published_seq` the
// publication order that cursors count; the dedupe key is unique among events that may not repeat.
import { type SqliteDatabase } from '../store/database.js';
import type { AppendResult, DeliveryState, Enrichment, EventLog, StoredEvent } from './event-log.js';
import { type ParsedNotice } from './notice.js';

interface Row {
  seq: number;
  published_seq: number | null;
  state: DeliveryState;
  notice: string;
  received_at: number;
  published_at: number | null;
  enrichment: string | null;
  attempts: number;
  last_error: string | null;
}

function toEvent(row: Row): StoredEvent {
  return {
    seq: row.seq,
    publishedSeq: row.published_seq ?? undefined,
    state: row.state,
    notice: JSON.parse(row.notice) as ParsedNotice,
    receivedAt: new Date(row.received_at),
    publishedAt: row.published_at === null ? undefined : new Date(row.published_at),
    enrichment: row.enrichment === null ? undefined : (JSON.parse(row.enrichment) as Enrichment),
    attempts: row.attempts,
    lastError: row.last_error ?? undefined,
  };
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
  `);
  const findDuplicate = db.prepare<[string], { seq: number }>(
    'SELECT seq FROM events WHERE dedupe_key = ? ORDER BY seq DESC LIMIT 1',
  );
  const insert = db.prepare(
    `INSERT INTO events (dedupe_key, may_repeat, event, contract_id, notice, received_at)
     VALUES (@dedupeKey, @mayRepeat, @event, @contractId, @notice, @receivedAt)`,
  );
  const append = db.transaction(
    (
      notice: ParsedNotice,
      options: { dedupeKey: string; mayRepeat: boolean; receivedAt: Date },
    ): AppendResult => {
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
      });
      return { stored: true, seq: Number(info.lastInsertRowid) };
    },
  );
  const pending = db.prepare<[], Row>('SELECT * FROM events WHERE published_seq IS NULL ORDER BY seq');
  const failure = db.prepare('UPDATE events SET attempts = attempts + 1, last_error = ? WHERE seq = ?');
  const nextPublished = db.prepare<[], { next: number }>(
    "UPDATE event_counters SET value = value + 1 WHERE name = 'published' RETURNING value AS next",
  );
  const markPublished = db.prepare(
    `UPDATE events SET published_seq = @publishedSeq, state = @state, published_at = @at, enrichment = @enrichment
     WHERE seq = @seq`,
  );
  const bySeq = db.prepare<[number], Row>('SELECT * FROM events WHERE seq = ?');
  const publish = db.transaction(
    (seq: number, enrichment: Enrichment | undefined, state: 'published' | 'failed', at: Date) => {
      const { next } = nextPublished.get()!;
      markPublished.run({
        seq,
        publishedSeq: next,
        state,
        at: at.getTime(),
        enrichment: enrichment === undefined ? null : JSON.stringify(enrichment),
      });
      return toEvent(bySeq.get(seq)!);
    },
  );
  const readPublished = db.prepare<[number, number], Row>(
    'SELECT * FROM events WHERE published_seq > ? ORDER BY published_seq LIMIT ?',
  );
  const oldest = db.prepare<[], { seq: number | null }>('SELECT MIN(published_seq) AS seq FROM events');
  const newest = db.prepare<[], { seq: number }>(
    "SELECT value AS seq FROM event_counters WHERE name = 'published'",
  );
  // Only published events expire: an event still waiting for enrichment is kept until it is delivered.
  const prune = db.prepare('DELETE FROM events WHERE received_at < ? AND published_seq IS NOT NULL');

  return {
    append: (notice, options) => append.immediate(notice, options),
    pending: () => pending.all().map(toEvent),
    recordFailure: (seq, error) => void failure.run(error.slice(0, 500), seq),
    publish: (seq, enrichment, state, at) => publish.immediate(seq, enrichment, state, at),
    readPublished: (after, limit) => readPublished.all(after, limit).map(toEvent),
    oldestPublishedSeq: () => oldest.get()?.seq ?? undefined,
    lastPublishedSeq: () => newest.get()!.seq,
    prune: (before) => prune.run(before.getTime()).changes,
    close: () => db.close(),
  };
}
