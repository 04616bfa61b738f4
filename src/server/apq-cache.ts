// Automatic persisted queries shared by every instance: Apollo Server's key-value cache interface over
// Redis, so a hash registered through one instance is known to all of them.
import { type Redis } from 'ioredis';

export function redisPersistedQueryCache(redis: Redis, prefix: string) {
  return {
    async get(key: string): Promise<string | undefined> {
      return (await redis.get(`${prefix}${key}`)) ?? undefined;
    },
    async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
      const ttl = options?.ttl;
      if (ttl) await redis.set(`${prefix}${key}`, value, 'EX', Math.ceil(ttl));
      else await redis.set(`${prefix}${key}`, value);
    },
    async delete(key: string): Promise<boolean> {
      return (await redis.del(`${prefix}${key}`)) > 0;
    },
  };
}
