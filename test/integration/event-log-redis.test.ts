// The EventLog contract against the Redis Streams log, on a real redis-server.
import { afterAll, beforeAll } from '@jest/globals';
import { Redis } from 'ioredis';
import { createRedisEventLog } from '../../src/events/redis-event-log.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { describeEventLogContract } from './event-log.contract.js';

let server: RedisServer;
let redis: Redis | undefined;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.close();
});

const open = () => {
  redis = new Redis(server.url);
  return createRedisEventLog({ redis, retentionMs: 7 * 24 * 60 * 60 * 1000 });
};

describeEventLogContract('Redis', {
  open: async () => {
    const log = open();
    await redis!.flushall();
    return log;
  },
  reopen: async () => {
    // A restart: a new connection (the old one is gone with the process).
    await redis?.quit();
    return open();
  },
  cleanup: async () => {
    await redis?.quit();
    redis = undefined;
  },
});
