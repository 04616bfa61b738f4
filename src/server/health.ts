// Liveness at /healthz (answers while the process can serve HTTP at all) and readiness at /readyz
// (billwerk answers an authenticated call, the store takes a write and Redis, when configured, does what
// the gateway needs of it: redis/probe.ts), cached so scrapes stay cheap.
import { type FastifyInstance } from 'fastify';
import { type BillwerkClient } from '../billwerk/client.js';
import { type Logger } from '../logger.js';
import { type SqliteDatabase } from '../store/database.js';
import { api } from '../billwerk/route.js';

export type CheckName = 'billwerk' | 'store' | 'redis';
export type CheckResult = 'ok' | 'failing';
export interface Readiness {
  ready: boolean;
  /** `redis` only when Redis is configured. */
  checks: Partial<Record<CheckName, CheckResult>>;
}

export interface ReadinessOptions {
  billwerk: BillwerkClient;
  db: SqliteDatabase;
  /** Answers whether the gateway can use Redis (when configured); without it there is no `redis` check. */
  redis?: () => Promise<boolean>;
  logger: Logger;
  /** How long a billwerk verdict is reused, so probes and scrapes do not each call billwerk. @default 5000 */
  cacheMs?: number;
  /** Longest wait for billwerk's answer, retries included. @default 2000 */
  timeoutMs?: number;
  /** Clock for the cache, epoch ms. @default Date.now */
  now?: () => number;
}

/**
 * Checks readiness on demand. The billwerk check is the cheapest authenticated call (one plan group):
 * it proves the network path, the OAuth credentials and billwerk itself. Concurrent probes share one call.
 */
export function createReadiness(options: ReadinessOptions): () => Promise<Readiness> {
  const { billwerk, db, logger } = options;
  const cacheMs = options.cacheMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 2000;
  const now = options.now ?? Date.now;
  db.exec('CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY CHECK (id = 1), checked_at INTEGER)');
  const touch = db.prepare('INSERT OR REPLACE INTO health (id, checked_at) VALUES (1, ?)');

  let billwerkVerdict: { at: number; result: Promise<CheckResult> } | undefined;
  const checkBillwerk = (): Promise<CheckResult> => {
    if (billwerkVerdict && now() - billwerkVerdict.at < cacheMs) return billwerkVerdict.result;
    const result = billwerk
      .request('GET', api`/planGroups`, { query: { take: 1 }, signal: AbortSignal.timeout(timeoutMs) })
      .then(
        (): CheckResult => 'ok',
        (error: unknown): CheckResult => {
          // The client's error classes redact credentials and upstream bodies; only the kind is logged.
          logger.warn(
            { check: 'billwerk', error: error instanceof Error ? error.name : typeof error },
            'readiness check failing',
          );
          return 'failing';
        },
      );
    billwerkVerdict = { at: now(), result };
    return result;
  };
  const checkStore = (): CheckResult => {
    try {
      touch.run(now());
      return 'ok';
    } catch (error) {
      logger.warn(
        { check: 'store', error: error instanceof Error ? error.name : typeof error },
        'readiness check failing',
      );
      return 'failing';
    }
  };

  return async () => {
    const checks: Readiness['checks'] = { billwerk: await checkBillwerk(), store: checkStore() };
    if (options.redis) {
      checks.redis = (await options.redis()) ? 'ok' : 'failing';
      if (checks.redis === 'failing') logger.warn({ check: 'redis' }, 'readiness check failing');
    }
    return { ready: Object.values(checks).every((result) => result === 'ok'), checks };
  };
}

export function registerHealth(app: FastifyInstance, readiness?: () => Promise<Readiness>): void {
  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  if (!readiness) return;
  app.get('/readyz', async (_request, reply) => {
    const { ready, checks } = await readiness();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unready', checks });
  });
}
