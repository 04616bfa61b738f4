// The rate limit shared through a real redis-server: two gateway instances' limiters draw from one bucket
// per caller, and a caller refused by one is refused by the other.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { type Principal } from '../../src/auth/principal.js';
import { createRateLimit } from '../../src/server/rate-limit.js';
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

const partner = (id: string): Principal => ({
  id: `key:${id}`,
  roles: ['partner'],
  scope: { kind: 'partner', partnerId: id, customers: new Set() },
});

describe('the rate limit in Redis', () => {
  it('two instances share one bucket per caller', async () => {
    const settings = { perMinute: 60, burst: 3, keyPrefix: `test:${Date.now()}` };
    const [a, b] = clients.map((redis) => createRateLimit({ ...settings, redis }));
    const caller = partner('shared');
    const verdicts: (string | undefined)[] = [];
    // 1 steady + 3 burst = 4 at once, wherever they arrive; a second boundary may add one more.
    for (let i = 0; i < 6; i += 1) verdicts.push((await (i % 2 ? a! : b!)(caller))?.code);
    const served = verdicts.filter((code) => code === undefined).length;
    expect(served).toBeGreaterThanOrEqual(4);
    expect(served).toBeLessThanOrEqual(5);
    expect(verdicts.at(-1)).toBe('RATE_LIMITED');
    expect(await clients[0]!.keys(`${settings.keyPrefix}:*`)).not.toEqual([]);
    // Another caller's bucket is untouched.
    expect(await a!(partner('other'))).toBeUndefined();
  });
});
