// The EventLog contract against the Redis Streams log, on a real redis-server.
import { Redis } from 'ioredis';
import { createRedisEventLog } from '../../src/events/redis-event-log.js';
import { useRedisServer } from '../helpers/redis.js';
import { describeEventLogContract } from './event-log.contract.js';

const server = useRedisServer();
let redis: Redis | undefined;

const open = () => {
  redis = new Redis(server().url);
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
