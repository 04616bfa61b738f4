// Several instances sharing Redis: the event log is a pair of streams, dedupe, idempotency keys, partners'
// customers, persisted queries, rate limit buckets and event destinations are shared there, and leases
// decide which instance sweeps or delivers. The embedded database stays for the readiness write only.
import path from 'node:path';
import { createRedisPartnerStore } from '../auth/redis-partner-store.js';
import { redisDestinationLease } from '../destinations/lease.js';
import { createRedisDestinationStore } from '../destinations/redis-destination-store.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { type EventSystem } from '../delivery/event-system.js';
import { createEventHub } from '../delivery/hub.js';
import { createEventPipeline } from '../delivery/pipeline.js';
import { createRedisEventLog, redisEventKeys } from '../events/redis-event-log.js';
import { createRedisRelay } from '../delivery/redis-relay.js';
import { redisReplayer } from '../delivery/replay.js';
import { redisSweepLease } from '../events/sweep-lease.js';
import { createRedisIdempotencyStore } from '../idempotency/redis-store.js';
import { connectRedis, type RedisConnections } from '../redis/connection.js';
import { type RedisConfig } from '../redis/settings.js';
import { redisPersistedQueryCache } from '../server/apq-cache.js';
import { createRateLimit } from '../server/rate-limit.js';
import { openDatabase, type SqliteDatabase } from '../store/database.js';
import { type Backend, type BackendOptions } from './backend.js';

export async function createRedisBackend(options: BackendOptions, settings: RedisConfig): Promise<Backend> {
  const db = openDatabase({ file: path.join(options.config.dataDir, 'gateway.db') });
  let redis: RedisConnections | undefined;
  try {
    redis = await connectRedis({ ...settings, logger: options.logger.child({ component: 'redis' }) });
    return redisBackend(redis, db, options, settings);
  } catch (error) {
    await redis?.close();
    db.close();
    throw error;
  }
}

function redisBackend(
  redis: RedisConnections,
  db: SqliteDatabase,
  options: BackendOptions,
  settings: RedisConfig,
): Backend {
  const { config, logger } = options;
  const { keyPrefix } = settings;
  const events = redisEventSystem(redis, settings, options);
  const idempotency =
    options.idempotency ?? createRedisIdempotencyStore({ redis: redis.client, keyPrefix, now: options.now });
  const partners = createRedisPartnerStore({
    redis: redis.client,
    subscriber: redis.blocking('partners'),
    keyPrefix,
  });
  partners.ready.catch((error: unknown) =>
    logger.warn({ err: error }, "partners' signed-up customers could not be loaded from Redis"),
  );
  const replayer = redisReplayer({
    redis: redis.client,
    subscriber: redis.blocking('replay'),
    hub: events.hub,
    logger: logger.child({ component: 'events' }),
    keyPrefix,
  });
  const destinationStore = createRedisDestinationStore({ redis: redis.client, keyPrefix });
  return {
    events,
    sweepLease: redisSweepLease(redis.client, `${keyPrefix}lease:`),
    idempotency,
    partners,
    replayer,
    rateLimit: createRateLimit({ ...config.rateLimit, redis: redis.client, keyPrefix: `${keyPrefix}rate` }),
    persistedQueries: { cache: redisPersistedQueryCache(redis.client, `${keyPrefix}apq:`) },
    destinations: {
      store: destinationStore,
      lease: redisDestinationLease({ redis: redis.client, prefix: `${keyPrefix}destinations:lease:` }),
    },
    readiness: { db, redis: redis.check },
    async close() {
      await events.relay.close();
      if (idempotency !== options.idempotency) await idempotency.close();
      await partners.close();
      await replayer.close();
      await redis.close();
      db.close();
    },
  };
}

/**
 * The relay of several instances: a stored event waits in the inbox stream until the holder of the
 * enrichment lease (whichever instance it is) enriches and publishes it; each instance's tail of the
 * published stream hands it to its own hub, the publisher's included, so every subscriber sees one order.
 */
function redisEventSystem(
  connections: RedisConnections,
  settings: RedisConfig,
  options: BackendOptions,
): EventSystem {
  const { reader, config } = options;
  const logger = options.logger.child({ component: 'events' });
  const { keyPrefix, leaseMs } = settings;
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = createRedisEventLog({
    redis: connections.client,
    keyPrefix,
    retentionMs: config.eventRetentionMs,
    maxPublished: config.eventRetentionMaxEvents,
    instanceId,
    leaseToken: () => relay.leaseToken(),
    replicated: connections.replicated,
    followedThrough: () => relay.followedThrough,
  });
  const hub = createEventHub({ log, ...options.hubOptions });
  const pipeline = createEventPipeline({ log, reader, logger, ...options.pipelineOptions });
  const relay = createRedisRelay({
    redis: connections.client,
    blocking: (name) => connections.blocking(name),
    keys: redisEventKeys(keyPrefix),
    pipeline,
    hub,
    reader,
    logger,
    instanceId,
    leaseMs,
    replicated: connections.replicated,
  });
  return { log, hub, pipeline, relay };
}
