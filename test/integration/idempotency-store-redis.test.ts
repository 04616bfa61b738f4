// The IdempotencyStore contract against the Redis store, on a real redis-server; and two stores (two
// instances) on one Redis never both take a key.
import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createRedisIdempotencyStore } from '../../src/idempotency/redis-store.js';
import { useRedisServer } from '../helpers/redis.js';
import { describeIdempotencyStoreContract } from '../unit/idempotency-store.contract.js';

const server = useRedisServer();
let redis: Redis | undefined;

describeIdempotencyStoreContract('Redis', {
  open: async (options) => {
    redis = new Redis(server().url);
    await redis.flushall();
    return createRedisIdempotencyStore({ redis, ...options, pollMs: 20 });
  },
  cleanup: async () => {
    await redis?.quit();
    redis = undefined;
  },
});

describe('Redis idempotency store shared by two instances', () => {
  it('gives a key to one of two concurrent claims, and replays its outcome to the other instance', async () => {
    const [a, b] = [new Redis(server().url), new Redis(server().url)];
    try {
      const one = createRedisIdempotencyStore({ redis: a, pollMs: 20 });
      const two = createRedisIdempotencyStore({ redis: b, pollMs: 20 });
      const request = { scope: 'partner', key: 'shared', operation: 'signup', fingerprint: 'fp' };
      const claims = await Promise.all([one.claim(request), two.claim(request)]);
      expect(claims.map((c) => c.kind).sort()).toEqual(['acquired', 'running']);
      const winner = claims[0].kind === 'acquired' ? one : two;
      const waiting = (winner === one ? two : one).waitForSettle('partner', 'shared', 5000);
      const claim = claims.find((c) => c.kind === 'acquired') as { token: string };
      await winner.complete('partner', 'shared', claim.token, { ok: true, value: { Id: 'c1' } });
      // The other instance is not woken in-process: it sees the outcome by polling Redis.
      expect(await waiting).toBe(true);
      expect(await (winner === one ? two : one).claim(request)).toEqual({
        kind: 'done',
        outcome: { ok: true, value: { Id: 'c1' } },
      });
      await one.close();
      await two.close();
    } finally {
      await a.quit();
      await b.quit();
    }
  });
});
