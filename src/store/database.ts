// The embedded store: one SQLite file (better-sqlite3) under DATA_DIR holding the event log and the
// idempotency records. Each owner creates its own tables; this file only opens and tunes the database.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** A file path, or ':memory:' for tests that need no durability. */
  file: string;
}

/**
 * Opens (creating folders as needed) and tunes the database. WAL lets readers run beside the writer;
 * `synchronous = FULL` makes every commit durable before it returns, which "stored before 2xx" needs:
 * with NORMAL, WAL mode can lose the last commits on power loss.
 */
export function openDatabase({ file }: OpenDatabaseOptions): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
