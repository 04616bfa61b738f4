// Connections to Redis (ioredis), used when REDIS_URL is set. One connection carries ordinary commands
// and fails fast while Redis is unreachable (a webhook is answered 503 at once and billwerk retries); each
// blocking reader (XREAD, XREADGROUP) gets its own connection, which waits for Redis to come back. ioredis
// reconnects by itself after Redis restarts or the network drops.
import { Redis, type RedisOptions } from 'ioredis';
import { type Logger } from '../logger.js';

export interface RedisConnections {
  /** Ordinary commands: no offline queue, a short timeout, no retries (fails fast when Redis is down). */
  readonly client: Redis;
  /** A new connection for one blocking reader; its commands wait for a reconnect instead of failing. */
  blocking(name: string): Redis;
  /** Resolves true when Redis answers PING within `timeoutMs`. */
  ping: (timeoutMs?: number) => Promise<boolean>;
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  url: string;
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

export async function connectRedis(options: RedisConnectionOptions): Promise<RedisConnections> {
  const { url, logger } = options;
  const base: RedisOptions = { retryStrategy, connectTimeout: 2000, enableAutoPipelining: false };
  const readers: Redis[] = [];
  // The URL may carry a password: it is never logged, and ioredis' errors do not contain it.
  const open = (name: string, extra: RedisOptions) => {
    const redis = new Redis(url, { ...base, connectionName: `bgg-${name}`, ...extra });
    let down = false;
    redis.on('error', (error: Error) => {
      if (!down) logger.warn({ connection: name, error: error.message }, 'redis connection failing');
      down = true;
    });
    redis.on('ready', () => {
      if (down) logger.info({ connection: name }, 'redis connection restored');
      down = false;
    });
    return redis;
  };
  const client = open('commands', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 2000,
  });
  if (!(await waitReady(client, options.connectTimeoutMs ?? 5000))) {
    logger.error('redis is not reachable; webhooks are answered 503 until it is');
  }
  return {
    client,
    blocking(name) {
      const redis = open(name, { maxRetriesPerRequest: null });
      readers.push(redis);
      return redis;
    },
    async ping(timeoutMs = 1000) {
      if (client.status !== 'ready') return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      try {
        return await Promise.race([client.ping().then((pong) => pong === 'PONG'), timeout]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      // A blocked read would hold QUIT back until its timeout: readers are cut off at once.
      for (const reader of readers) reader.disconnect();
      try {
        if (client.status === 'ready') await client.quit();
        else client.disconnect();
      } catch {
        client.disconnect();
      }
    },
  };
}
