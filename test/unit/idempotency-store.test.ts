// The SQLite idempotency store: the store contract (idempotency-store.contract.ts) on an in-memory
// database, outcomes kept across a restart on a file, and a database that is gone reported as an outage.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { guardedStore } from '../../src/idempotency/outage.js';
import { createSqliteIdempotencyStore } from '../../src/idempotency/sqlite-store.js';
import { StoreUnavailableError } from '../../src/idempotency/store.js';
import { createLogger } from '../../src/logger.js';
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

describe('a store whose database is gone', () => {
  it('fails every call with StoreUnavailableError and logs the outage once', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(line) },
    });
    const database = openDatabase({ file: ':memory:' });
    const store = guardedStore(createSqliteIdempotencyStore({ db: database, now: () => now }), logger);
    const { token } = acquired(await store.claim(request('k1')));
    database.close();
    await expect(store.claim(request('k2'))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.complete('anonymous', 'k1', token, { ok: true, value: null })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      'the idempotency store is not reachable: mutations answer UPSTREAM_UNAVAILABLE until it is back',
    ]);
  });
});
