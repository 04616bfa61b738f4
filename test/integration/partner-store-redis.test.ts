// Partners' signed-up customers through a real redis-server: a customer one instance adds is in the
// partner's scope on the other at once, and on an instance started later.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createRedisPartnerStore, type RedisPartnerStore } from '../../src/auth/redis-partner-store.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { bid } from '../helpers/ids.js';

let server: RedisServer;
const clients: Redis[] = [];
const stores: RedisPartnerStore[] = [];
/** Each store's subscribed connection. */
const subscribers = new Map<RedisPartnerStore, Redis>();
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await Promise.all(clients.map((client) => client.quit()));
  await server.close();
});

async function instance(): Promise<RedisPartnerStore> {
  const redis = new Redis(server.url);
  const subscriber = new Redis(server.url);
  clients.push(redis, subscriber);
  const store = createRedisPartnerStore({ redis, subscriber, keyPrefix: 'test:' });
  stores.push(store);
  subscribers.set(store, subscriber);
  await store.ready;
  return store;
}

const CUSTOMER = bid('65f0000000000000000000c1');

describe('the partner store in Redis', () => {
  it('shares a signed-up customer with the other instances, now and after a start', async () => {
    const [a, b] = [await instance(), await instance()];
    // The other instance learns it from Redis's message. Its store's listener was added first, so it has
    // handled the message by the time this one hears it.
    const delivered = once(subscribers.get(b)!, 'message');
    await a.add('acme', CUSTOMER);
    expect(a.has('acme', CUSTOMER)).toBe(true);
    await delivered;
    expect(b.has('acme', CUSTOMER)).toBe(true);
    expect(b.has('other', CUSTOMER)).toBe(false);

    const later = await instance();
    expect(later.customersOf('acme')).toEqual([CUSTOMER]);
  });
});
