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
    const [crashed, survivor] = clients.map((redis) => redisSweepLease(redis, 'test:expiry:'));
    expect(await crashed!.acquire('sweep', 100)).toBe(true);
    expect(await survivor!.acquire('sweep', 60_000)).toBe(false);
    // Redis expires the key by itself; wait on Redis rather than on a fixed sleep.
    const deadline = Date.now() + 5000;
    while ((await clients[1]!.exists('test:expiry:sweep')) === 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await survivor!.acquire('sweep', 60_000)).toBe(true);
  });
});
