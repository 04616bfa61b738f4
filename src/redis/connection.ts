// Connections to Redis (ioredis), used when Redis is configured: one server, a primary found through
// Sentinel, or a Cluster (topology.ts). One connection carries ordinary commands and fails fast while
// Redis is unreachable (a webhook is answered 503 at once and billwerk retries); each blocking reader
// (XREAD, XREADGROUP, SUBSCRIBE) gets its own connection, which waits for Redis to come back. ioredis
// reconnects by itself after Redis restarts or the network drops, and through Sentinel it asks for the
// current primary on each reconnect, so every connection follows a failover.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { type ConnectionOptions } from 'node:tls';
import { type Logger } from '../logger.js';
import { probeRedis, ReplicationError } from './probe.js';
import { type RedisAuth, type RedisTopology } from './topology.js';

export interface RedisConnections {
  /** Ordinary commands: no offline queue, a short timeout, no retries (fails fast when Redis is down). */
  readonly client: Redis;
  /** A new connection for one blocking reader; its commands wait for a reconnect instead of failing. */
  blocking(name: string): Redis;
  /**
   * Resolves true when Redis can do what the gateway needs (probe.ts: a script on its keys, a write, a
   * stream group, enough replicas). A change of verdict is logged once, with what to fix.
   */
  check: () => Promise<boolean>;
  /**
   * With REDIS_WAIT_REPLICAS (absent without): resolves once `waitReplicas` replicas have every write this
   * connection made so far (WAIT); rejects with ReplicationError when they do not within the timeout.
   */
  replicated: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  topology: RedisTopology;
  auth: RedisAuth;
  /** Prefix of the keys the readiness probe writes (the deployment's own). */
  keyPrefix: string;
  /** Replicas a webhook's event must reach before its 2xx (REDIS_WAIT_REPLICAS). @default 0 */
  waitReplicas?: number;
  /** Longest wait for them (REDIS_WAIT_TIMEOUT_MS). @default 1000 */
  waitTimeoutMs?: number;
  logger: Logger;
  /** Longest wait for one ordinary command. @default 2000 */
  commandTimeoutMs?: number;
  /** Longest wait for the first connection at start; the gateway starts (unready) without it. @default 5000 */
  connectTimeoutMs?: number;
}

/** Reconnect delays: quick at first, at most one second (a restart of Redis takes about that long). */
const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1000);

function waitReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
  });
}

/** The options every connection shares, whatever the topology: credentials, TLS, reconnects. */
function baseOptions(auth: RedisAuth): RedisOptions {
  const tls: ConnectionOptions | undefined = auth.tls ? (auth.tlsCa ? { ca: auth.tlsCa } : {}) : undefined;
  return {
    retryStrategy,
    connectTimeout: 2000,
    // disconnect() destroys a socket that has not closed after this long. ioredis' 2 s also runs for a
    // socket that closed before (Redis was already gone), and holds shutdown that long.
    disconnectTimeout: 200,
    enableAutoPipelining: false,
    ...(auth.username !== undefined && { username: auth.username }),
    ...(auth.password !== undefined && { password: auth.password }),
    ...(auth.db !== undefined && { db: auth.db }),
    ...(tls && { tls }),
    // A primary demoted by a failover answers writes with READONLY until Sentinel's CLIENT KILL reaches
    // us: reconnecting (through Sentinel) finds the new primary.
    reconnectOnError: (error) => /^READONLY/.test(error.message),
  };
}

/** Opens one connection of the configured topology. */
function openClient(topology: RedisTopology, auth: RedisAuth, options: RedisOptions): Redis {
  switch (topology.kind) {
    case 'server':
      return new Redis(topology.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
        name: topology.name,
        // The same TLS for the Sentinels and the primary: operators who turn it on turn it on everywhere.
        enableTLSForSentinelMode: auth.tls,
        ...(options.tls && { sentinelTLS: options.tls }),
        sentinelRetryStrategy: retryStrategy,
        // Sentinel announces +switch-master: connections move at once instead of on their next error.
        failoverDetector: true,
      });
    case 'cluster': {
      const { enableOfflineQueue, ...redisOptions } = options;
      const clusterOptions: ClusterOptions = {
        redisOptions,
        clusterRetryStrategy: retryStrategy,
        enableOfflineQueue: enableOfflineQueue ?? true,
        // Commands during a resharding or a failover are redirected (MOVED/ASK) or retried a little later.
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
      };
      // The cluster client has the command surface of a single connection (ioredis' Commander), and every
      // key of the deployment lives in one hash slot (topology.ts): the stores use it as one connection.
      return new Cluster(
        topology.nodes.map(({ host, port }) => ({ host, port })),
        clusterOptions,
      ) as unknown as Redis;
    }
  }
}

export async function connectRedis(options: RedisConnectionOptions): Promise<RedisConnections> {
  const { topology, auth, logger } = options;
  const base = baseOptions(auth);
  const readers: Redis[] = [];
  // Connections that lost Redis and have not got it back. The last one back logs "redis connections
  // restored": the one line that says this instance is whole again, which operators (and the tests)
  // wait on instead of asking /readyz again and again.
  const lost = new Set<Redis>();
  // Credentials are never logged, and ioredis' errors do not contain them.
  const open = (name: string, extra: RedisOptions) => {
    const redis = openClient(topology, auth, { ...base, connectionName: `bgg-${name}`, ...extra });
    const failing = (error: string) => {
      if (!lost.has(redis)) logger.warn({ connection: name, error }, 'redis connection failing');
      lost.add(redis);
    };
    redis.on('error', (error: Error) => failing(error.message));
    // A connection Redis closed (a restart, a failover) may be back before any attempt failed, so no
    // 'error' comes; ioredis says 'reconnecting' only for a close it did not make itself (close() below).
    redis.on('reconnecting', () => failing('connection closed'));
    redis.on('ready', () => {
      if (!lost.delete(redis)) return;
      logger.info({ connection: name }, 'redis connection restored');
      if (lost.size === 0) logger.info({ connections: readers.length + 1 }, 'redis connections restored');
    });
    return redis;
  };
  const waitReplicas = options.waitReplicas ?? 0;
  const waitTimeoutMs = options.waitTimeoutMs ?? 1000;
  const client = open('commands', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // WAIT runs on this connection: its own timeout must end first, so the answer is a count, not an error.
    commandTimeout: Math.max(options.commandTimeoutMs ?? 2000, waitTimeoutMs + 500),
  });
  const probe = {
    redis: client,
    topology,
    keyPrefix: options.keyPrefix,
    waitReplicas,
    // WAIT holds the shared connection: a probe asks replicas that answer in milliseconds for little more.
    waitTimeoutMs: Math.min(waitTimeoutMs, 250),
  };

  let lastProblem: string | undefined | null = null;
  const check = async (): Promise<boolean> => {
    const problem = client.status === 'ready' ? await probeRedis(probe) : 'Redis is not reachable';
    if (problem !== lastProblem) {
      if (problem) logger.error(`redis cannot be used: ${problem}`);
      else if (lastProblem !== null) logger.info('redis usable again');
    }
    lastProblem = problem;
    return problem === undefined;
  };
  if (!(await waitReady(client, options.connectTimeoutMs ?? 5000))) {
    logger.error('redis is not reachable; webhooks are answered 503 until it is');
  } else {
    await check();
  }
  return {
    client,
    blocking(name) {
      const redis = open(name, { maxRetriesPerRequest: null });
      readers.push(redis);
      return redis;
    },
    check,
    replicated:
      waitReplicas === 0
        ? undefined
        : async () => {
            const acknowledged = await client.wait(waitReplicas, waitTimeoutMs);
            if (acknowledged < waitReplicas) throw new ReplicationError(acknowledged, waitReplicas);
          },
    async close() {
      // A blocked read would hold QUIT back until its timeout: readers are cut off at once.
      for (const reader of readers) reader.disconnect();
      if (client.status === 'ready') await client.quit().catch(() => undefined);
      // Also after QUIT: only disconnect() closes the Sentinel connections of ioredis' failover detector.
      client.disconnect();
    },
  };
}
