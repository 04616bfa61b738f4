// The IdempotencyStore on the embedded SQLite database (one table beside the event log). Claims run in
// IMMEDIATE transactions, so two processes sharing the file cannot both take a key.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type SqliteDatabase } from '../store/database.js';
import {
  LostKeyError,
  type Checkpoints,
  type Claim,
  type ClaimRequest,
  type IdempotencyStore,
  type IdempotencyTiming,
  type StoredOutcome,
} from './store.js';
import { createSettleWaiters } from './settle-waiters.js';
import { settle } from '../store/settle.js';

export interface SqliteIdempotencyStoreOptions extends IdempotencyTiming {
  /** An open database (see database.ts); the store creates its table, and never closes the database. */
  db: SqliteDatabase;
  /** Expired keys are deleted at most this often, during a claim. @default 3600000 */
  purgeIntervalMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

type State = 'running' | 'interrupted' | 'done';

interface Row {
  fingerprint: string;
  operation: string;
  state: State;
  owner: string | null;
  lease_until: number;
  checkpoints: string;
  outcome: string | null;
  expires_at: number;
}

const outcomeSchema: z.ZodType<StoredOutcome> = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({
      code: z.string(),
      message: z.string(),
      extensions: z.record(z.string(), z.unknown()),
    }),
  }),
]);
const checkpointsSchema = z.record(z.string(), z.unknown());

const TABLE = `
  CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope       TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    operation   TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('running', 'interrupted', 'done')),
    owner       TEXT,
    lease_until INTEGER NOT NULL,
    checkpoints TEXT    NOT NULL DEFAULT '{}',
    outcome     TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at);
`;

/** The table, created where it is missing, and its statements, prepared once. */
function prepareStatements(db: SqliteDatabase) {
  db.exec(TABLE);
  return {
    select: db.prepare<[string, string], Row>(
      `SELECT fingerprint, operation, state, owner, lease_until, checkpoints, outcome, expires_at
         FROM idempotency_keys WHERE scope = ? AND key = ?`,
    ),
    insert: db.prepare(
      `INSERT INTO idempotency_keys
         (scope, key, operation, fingerprint, state, owner, lease_until, checkpoints, created_at, expires_at)
       VALUES (@scope, @key, @operation, @fingerprint, 'running', @owner, @leaseUntil, '{}', @now, @expiresAt)`,
    ),
    remove: db.prepare<[string, string]>('DELETE FROM idempotency_keys WHERE scope = ? AND key = ?'),
    takeOver: db.prepare(
      `UPDATE idempotency_keys SET state = 'running', owner = @owner, lease_until = @leaseUntil
        WHERE scope = @scope AND key = @key`,
    ),
    saveCheckpoints: db.prepare(
      `UPDATE idempotency_keys SET checkpoints = @checkpoints, lease_until = @leaseUntil
        WHERE scope = @scope AND key = @key AND owner = @owner AND state = 'running'`,
    ),
    finish: db.prepare(
      `UPDATE idempotency_keys
          SET state = 'done', owner = NULL, outcome = @outcome, expires_at = MAX(expires_at, @expiresAt)
        WHERE scope = @scope AND key = @key AND owner = @owner AND state = 'running'`,
    ),
    interrupt: db.prepare(
      `UPDATE idempotency_keys SET state = 'interrupted', owner = NULL
        WHERE scope = @scope AND key = @key AND owner = @owner AND state = 'running'`,
    ),
    forget: db.prepare(
      `DELETE FROM idempotency_keys WHERE scope = @scope AND key = @key AND owner = @owner AND state = 'running'`,
    ),
    purge: db.prepare<[number]>('DELETE FROM idempotency_keys WHERE expires_at <= ?'),
  };
}
type Statements = ReturnType<typeof prepareStatements>;

/** The options the transactions read, defaulted. */
interface Timing {
  ttlMs: number;
  leaseMs: number;
  now: () => number;
}

/** The claim, as a transaction (run IMMEDIATE, so two processes cannot both take a key). */
function prepareClaim(db: SqliteDatabase, st: Statements, { ttlMs, leaseMs, now }: Timing) {
  return db.transaction((request: ClaimRequest): Claim => {
    const at = now();
    const { scope, key } = request;
    let row = st.select.get(scope, key);
    if (row && row.expires_at <= at) {
      st.remove.run(scope, key);
      row = undefined;
    }
    const token = randomUUID();
    if (!row) {
      st.insert.run({
        ...request,
        owner: token,
        leaseUntil: at + leaseMs,
        now: at,
        expiresAt: at + ttlMs,
      });
      return { kind: 'acquired', token, checkpoints: {}, resumed: false };
    }
    if (row.fingerprint !== request.fingerprint) return { kind: 'mismatch', operation: row.operation };
    if (row.state === 'done') {
      return { kind: 'done', outcome: outcomeSchema.parse(JSON.parse(row.outcome ?? 'null')) };
    }
    if (row.state === 'running' && row.lease_until > at) return { kind: 'running' };
    st.takeOver.run({ scope, key, owner: token, leaseUntil: at + leaseMs });
    const checkpoints: Checkpoints = checkpointsSchema.parse(JSON.parse(row.checkpoints));
    return { kind: 'acquired', token, checkpoints, resumed: true };
  });
}

/** Saving a checkpoint, as a transaction: a step's result is added to those saved and the lease renewed. */
function prepareCheckpoint(db: SqliteDatabase, st: Statements, { leaseMs, now }: Timing) {
  return db.transaction((scope: string, key: string, token: string, step: string, value: unknown) => {
    const row = st.select.get(scope, key);
    if (!row || row.owner !== token || row.state !== 'running') throw new LostKeyError(key);
    const checkpoints = { ...checkpointsSchema.parse(JSON.parse(row.checkpoints)), [step]: value };
    st.saveCheckpoints.run({
      scope,
      key,
      owner: token,
      checkpoints: JSON.stringify(checkpoints),
      leaseUntil: now() + leaseMs,
    });
  });
}

export function createSqliteIdempotencyStore(options: SqliteIdempotencyStoreOptions): IdempotencyStore {
  const timing: Timing = {
    ttlMs: Math.max(options.ttlMs ?? DAY_MS, 1),
    leaseMs: options.leaseMs ?? 120_000,
    now: options.now ?? Date.now,
  };
  const { ttlMs, now } = timing;
  const purgeIntervalMs = options.purgeIntervalMs ?? 60 * 60 * 1000;
  const st = prepareStatements(options.db);
  const claimTx = prepareClaim(options.db, st, timing);
  const checkpointTx = prepareCheckpoint(options.db, st, timing);

  /** In-process waiters by key; waiters in other processes poll. */
  const waiters = createSettleWaiters(options.pollMs ?? 250);
  const waitKey = (scope: string, key: string) => `${scope}\u0000${key}`;
  const wake = (scope: string, key: string) => waiters.wake(waitKey(scope, key));
  let lastPurge = Number.NEGATIVE_INFINITY;
  const settled = (scope: string, key: string): boolean => {
    const row = st.select.get(scope, key);
    return !row || row.state !== 'running' || row.lease_until <= now();
  };

  return {
    claim(request) {
      return settle(() => {
        if (now() - lastPurge >= purgeIntervalMs) {
          lastPurge = now();
          st.purge.run(lastPurge);
        }
        return claimTx.immediate(request);
      });
    },
    checkpoint(scope, key, token, step, value) {
      return settle(() => checkpointTx.immediate(scope, key, token, step, value));
    },
    complete(scope, key, token, outcome) {
      return settle(() => {
        const { changes } = st.finish.run({
          scope,
          key,
          owner: token,
          outcome: JSON.stringify(outcome),
          expiresAt: now() + ttlMs,
        });
        wake(scope, key);
        if (changes !== 1) throw new LostKeyError(key);
      });
    },
    release(scope, key, token) {
      return settle(() => {
        st.interrupt.run({ scope, key, owner: token });
        wake(scope, key);
      });
    },
    discard(scope, key, token) {
      return settle(() => {
        st.forget.run({ scope, key, owner: token });
        wake(scope, key);
      });
    },
    waitForSettle(scope, key, timeoutMs) {
      return waiters.wait(waitKey(scope, key), () => settled(scope, key), timeoutMs);
    },
    purgeExpired() {
      return settle(() => {
        lastPurge = now();
        return st.purge.run(lastPurge).changes;
      });
    },
    close() {
      waiters.wakeAll();
      return Promise.resolve();
    },
  };
}
