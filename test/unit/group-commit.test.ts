import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { createGroupCommit } from '../../src/store/group-commit.js';

describe('group commit', () => {
  let dir: string;
  let db: SqliteDatabase;
  let reader: SqliteDatabase;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'group-commit-'));
    const file = path.join(dir, 'store.db');
    db = openDatabase({ file });
    db.exec('CREATE TABLE rows (n INTEGER PRIMARY KEY)');
    reader = new Database(file, { readonly: true });
  });
  afterEach(() => {
    reader.close();
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (n: number) => () => db.prepare('INSERT INTO rows (n) VALUES (?)').run(n).changes;
  const visible = () => reader.prepare<[], { n: number }>('SELECT n FROM rows ORDER BY n').all();

  it('runs writes asked for together in one transaction and answers each after its commit', async () => {
    const writes = createGroupCommit(db);
    /** What another connection saw while each write ran: nothing of the group is committed yet. */
    const seen: number[] = [];
    const results = Promise.all(
      [1, 2, 3].map((n) =>
        writes.run(() => {
          insert(n)();
          seen.push(visible().length);
          return n * 10;
        }),
      ),
    );
    // Nothing runs before the event loop has finished the turn that asked.
    expect(visible()).toEqual([]);
    await expect(results).resolves.toEqual([10, 20, 30]);
    expect(seen).toEqual([0, 0, 0]);
    expect(visible()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('undoes and rejects only the write that threw, and commits the rest of its group', async () => {
    const writes = createGroupCommit(db);
    const first = writes.run(insert(1));
    const failing = writes.run(() => {
      insert(2)();
      throw new Error('refused');
    });
    const third = writes.run(insert(3));
    await expect(failing).rejects.toThrow('refused');
    await expect(Promise.all([first, third])).resolves.toEqual([1, 1]);
    expect(visible()).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('rejects every write of a group whose commit fails', async () => {
    const writes = createGroupCommit(db);
    const group = [writes.run(insert(1)), writes.run(insert(2))];
    db.close();
    for (const write of group) await expect(write).rejects.toThrow(/not open/);
  });

  it('commits what is queued at once when flushed', async () => {
    const writes = createGroupCommit(db);
    const write = writes.run(insert(7));
    writes.flush();
    expect(visible()).toEqual([{ n: 7 }]);
    await expect(write).resolves.toBe(1);
  });
});
