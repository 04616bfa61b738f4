// The WAL checkpoints run from their own thread (src/store/checkpointer.ts): the writer's commits no longer
// copy pages into the database file themselves, the thread's checkpoint does, and it stops cleanly.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startCheckpointer, type Checkpointer } from '../../src/store/checkpointer.js';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';

describe('WAL checkpoints in a thread of their own', () => {
  let dir: string;
  let file: string;
  let db: SqliteDatabase;
  let checkpointer: Checkpointer | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'checkpointer-'));
    file = path.join(dir, 'gateway.db');
    db = openDatabase({ file });
    db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  });

  afterEach(async () => {
    await checkpointer?.close();
    checkpointer = undefined;
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Commits `count` rows of about 1 KB, one transaction each (as synced single writes are). */
  function write(count: number): void {
    const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
    for (let i = 0; i < count; i += 1) insert.run('x'.repeat(1000));
  }

  it('copies what the writer committed into the database, which the writer no longer does itself', async () => {
    // Far apart: only the checkpoint asked for below runs during the test.
    checkpointer = startCheckpointer(db, { intervalMs: 3_600_000 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    const before = statSync(file).size;
    // About 1,200 pages: past SQLite's default of 1,000, under the backstop.
    write(1_200);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(4_000_000);
    // Nothing was copied by the commits: the database file has not grown.
    expect(statSync(file).size).toBe(before);

    const result = await checkpointer.checkpoint();

    expect(result.log).toBeGreaterThan(1_000);
    expect(result.checkpointed).toBe(result.log);
    expect(statSync(file).size).toBeGreaterThan(before + 1_000_000);
    expect(db.prepare('SELECT COUNT(*) AS n FROM rows').get()).toEqual({ n: 1_200 });
  });

  it('lets writes go on while it checkpoints every few milliseconds', async () => {
    checkpointer = startCheckpointer(db, { intervalMs: 5 });
    write(300);
    // An explicit checkpoint joins the thread's queue behind its timer's; both leave the WAL copied.
    const result = await checkpointer.checkpoint();
    expect(result.checkpointed).toBe(result.log);
    write(10);
    expect(db.prepare('SELECT COUNT(*) AS n FROM rows').get()).toEqual({ n: 310 });
  });

  it('stops with close, after which a checkpoint is refused', async () => {
    const stopping = startCheckpointer(db, { intervalMs: 5 });
    await stopping.close();
    await stopping.close();
    await expect(stopping.checkpoint()).rejects.toThrow('closed');
  });
});
