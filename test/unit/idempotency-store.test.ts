// The SQLite idempotency store: the store contract (idempotency-store.contract.ts) on an in-memory
// database, and outcomes kept across a restart on a file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { createSqliteIdempotencyStore } from '../../src/store/sqlite-idempotency-store.js';
import { acquired, describeIdempotencyStoreContract, request } from './idempotency-store.contract.js';

let db: SqliteDatabase | undefined;
const now = Date.parse('2026-01-15T10:00:00Z');

describeIdempotencyStoreContract('SQLite', {
  open: (options) => {
    db = openDatabase({ file: ':memory:' });
    return Promise.resolve(createSqliteIdempotencyStore({ db, ...options }));
  },
  cleanup: () => {
    db?.close();
    db = undefined;
    return Promise.resolve();
  },
});

describe('sqlite idempotency store on a file', () => {
  it('keeps outcomes across a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'idempotency-'));
    try {
      const file = path.join(dir, 'gateway.db');
      const before = openDatabase({ file });
      const first = createSqliteIdempotencyStore({ db: before, now: () => now });
      const { token } = acquired(await first.claim(request('k1')));
      await first.complete('anonymous', 'k1', token, { ok: true, value: { Id: 'c1' } });
      await first.close();
      before.close();

      const after = openDatabase({ file });
      const second = createSqliteIdempotencyStore({ db: after, now: () => now });
      expect(await second.claim(request('k1'))).toEqual({
        kind: 'done',
        outcome: { ok: true, value: { Id: 'c1' } },
      });
      await second.close();
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
