// The reconciliation lease through a real redis-server: one instance sweeps at a time, only the holder
// gives the lease back, and a holder that died without giving it back blocks the others only until it expires.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { redisSweepLease } from '../../src/events/sweep-lease.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

let server: RedisServer;
let clients: Redis[];
beforeAll(async () => {
  server = await startRedis();
  clients = [new Redis(server.url), new Redis(server.url)];
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()));
  await server.close();
});

describe('the reconciliation lease in Redis', () => {
  it('is held by one instance at a time and released only by its holder', async () => {
    const [a, b] = clients.map((redis) => redisSweepLease(redis, 'test:lease:'));
    expect(await a!.acquire('sweep', 60_000)).toBe(true);
    expect(await b!.acquire('sweep', 60_000)).toBe(false);
    // B does not hold it: its release must not free A's lease.
    await b!.release('sweep');
    expect(await b!.acquire('sweep', 60_000)).toBe(false);
    await a!.release('sweep');
    expect(await b!.acquire('sweep', 60_000)).toBe(true);
    await b!.release('sweep');
  });

  it('expires when its holder never gives it back', async () => {
    // Redis expires the key by itself and says so (keyspace notifications): wait on that event.
    await clients[0]!.config('SET', 'notify-keyspace-events', 'Ex');
    const listener = new Redis(server.url);
    await listener.subscribe('__keyevent@0__:expired');
    const expired = new Promise<void>((resolve) =>
      listener.on('message', (_channel: string, key: string) => {
        if (key === 'test:expiry:sweep') resolve();
      }),
    );
    try {
      const [crashed, survivor] = clients.map((redis) => redisSweepLease(redis, 'test:expiry:'));
      expect(await crashed!.acquire('sweep', 100)).toBe(true);
      expect(await survivor!.acquire('sweep', 60_000)).toBe(false);
      await expired;
      expect(await survivor!.acquire('sweep', 60_000)).toBe(true);
    } finally {
      await listener.quit();
    }
  });
});
