// The DestinationStore contract against the Redis store, on a real redis-server; and the destination lease:
// one of two instances at a time holds a destination, and the other takes over once it lapses.
import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { redisDestinationLease } from '../../src/destinations/lease.js';
import { createRedisDestinationStore } from '../../src/destinations/redis-destination-store.js';
import { useRedisServer } from '../helpers/redis.js';
import { describeDestinationStoreContract } from '../unit/destination-store.contract.js';

const server = useRedisServer();
let redis: Redis | undefined;

describeDestinationStoreContract('Redis', {
  open: async () => {
    redis = new Redis(server().url);
    await redis.flushall();
    return createRedisDestinationStore({ redis, keyPrefix: 'test:' });
  },
  cleanup: async () => {
    await redis?.quit();
    redis = undefined;
  },
});

describe('the Redis destination lease', () => {
  it('is held by one instance at a time, renewed by its holder, and taken over after it lapses', async () => {
    const [a, b] = [new Redis(server().url), new Redis(server().url)];
    try {
      let now = 1_000_000;
      // Redis expires the key on its own clock: a lease long enough that a loaded machine cannot lapse it here.
      const options = { prefix: 'lease-test:', ttlMs: 5_000, attemptMs: 50, now: () => now };
      const one = redisDestinationLease({ redis: a, ...options });
      const two = redisDestinationLease({ redis: b, ...options });
      const [first, second] = await Promise.all([one.claim('d'), two.claim('d')]);
      expect([first, second].sort()).toEqual([false, true]);
      const [holder, other] = first ? [one, two] : [two, one];
      expect(await holder.claim('d')).toBe(true);
      expect(holder.held('d')).toBe(true);
      expect(other.held('d')).toBe(false);
      // Past the point where an attempt could still finish within the lease, the holder stops attempting.
      now += 4_960;
      expect(holder.held('d')).toBe(false);
      await holder.release('d');
      expect(await other.claim('d')).toBe(true);
      expect(await holder.claim('d')).toBe(false);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});
