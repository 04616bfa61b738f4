// The SQLite event log's tables (sqlite-event-log.ts describes them), created at open, and the rewrite of
// databases from the earlier one-table layout.
import { type SqliteDatabase } from '../store/database.js';

const TABLES = `
  CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key  TEXT NOT NULL,
    may_repeat  INTEGER NOT NULL,
    event       TEXT NOT NULL,
    contract_id TEXT,
    source      TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    notice      BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS event_pending (
    seq        INTEGER PRIMARY KEY,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
  );
  CREATE TABLE IF NOT EXISTS event_published (
    published_seq INTEGER PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE,
    state         TEXT NOT NULL,
    published_at  INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    last_error    TEXT,
    enrichment    BLOB
  );
  -- The publication counter lives apart from the rows, so pruning old events never reuses a cursor.
  CREATE TABLE IF NOT EXISTS event_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT OR IGNORE INTO event_counters (name, value) VALUES ('published', 0);
  CREATE TABLE IF NOT EXISTS event_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;
const INDEXES = `
  CREATE INDEX IF NOT EXISTS events_dedupe ON events (dedupe_key);
  CREATE INDEX IF NOT EXISTS events_contract ON events (contract_id, seq);
`;

/**
 * Databases of the earlier layout kept everything in one `events` row that grew after insert (state,
 * enrichment, publication), which left pages half empty. They are rewritten into the three tables at
 * open, in one transaction; notices and enrichments stay JSON text, which the reader still takes.
 */
function migrateFromOneTable(db: SqliteDatabase): boolean {
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('events')").all();
  if (!columns.some((column) => column.name === 'published_seq')) return false;
  const source = columns.some((column) => column.name === 'source') ? 'source' : "'webhook'";
  db.transaction(() => {
    db.exec(`
      DROP INDEX IF EXISTS events_dedupe;
      DROP INDEX IF EXISTS events_contract;
      DROP INDEX IF EXISTS events_pending;
      DROP INDEX IF EXISTS events_unpublished;
      ALTER TABLE events RENAME TO events_v1;
      ${TABLES}
      INSERT INTO events (seq, dedupe_key, may_repeat, event, contract_id, source, received_at, notice)
        SELECT seq, dedupe_key, may_repeat, event, contract_id, ${source}, received_at, notice FROM events_v1;
      INSERT INTO event_published (published_seq, seq, state, published_at, attempts, last_error, enrichment)
        SELECT published_seq, seq, state, coalesce(published_at, received_at), attempts, last_error, enrichment
        FROM events_v1 WHERE published_seq IS NOT NULL;
      INSERT INTO event_pending (seq, attempts, last_error)
        SELECT seq, attempts, last_error FROM events_v1 WHERE published_seq IS NULL;
      -- Receipt sequences go on from the old table's, even where its newest rows were pruned.
      DELETE FROM sqlite_sequence WHERE name = 'events';
      INSERT INTO sqlite_sequence (name, seq) SELECT 'events', seq FROM sqlite_sequence WHERE name = 'events_v1';
      DROP TABLE events_v1;
    `);
  }).immediate();
  return true;
}

/** Creates the log's tables and indexes where they are missing, after rewriting an earlier layout. */
export function openEventTables(db: SqliteDatabase): void {
  const migrated = migrateFromOneTable(db);
  db.exec(TABLES + INDEXES);
  // The rewrite went through the WAL, which would otherwise keep its size (that of the whole log).
  if (migrated) db.pragma('wal_checkpoint(TRUNCATE)');
}
