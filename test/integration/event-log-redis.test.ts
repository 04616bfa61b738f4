// The EventLog contract against the Redis Streams log, on a real redis-server, and entries read back
// through the parser whatever wrote them.
import { Redis } from 'ioredis';
import { type EventLog } from '../../src/events/event-log.js';
import { createRedisEventLog, redisEventKeys, seqOf } from '../../src/events/redis-event-log.js';
import { StoredEventError } from '../../src/events/stored-event.js';
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

describe('Redis entries read back', () => {
  let log: EventLog;
  beforeEach(async () => {
    log = open();
    await redis!.flushall();
  });
  afterEach(async () => {
    await redis?.quit();
    redis = undefined;
  });

  const keys = redisEventKeys();
  const add = async (fields: string[]) => seqOf((await redis!.xadd(keys.inbox, '0-*', ...fields))!);

  it('reads a notice an older version accepted with a non-ObjectId id as an unknown event', async () => {
    const payload = { Event: 'ContractChanged', ContractId: 'c1' };
    await add(['n', JSON.stringify({ event: 'ContractChanged', contractId: 'c1', payload }), 'r', '0']);
    const [legacy] = await log.pending(0, 10);
    expect(legacy!.notice).toEqual({ kind: 'unknown', event: 'ContractChanged', payload });
  });

  it('refuses a damaged entry with an error naming it, not a value of the wrong shape', async () => {
    const notice = JSON.stringify({ payload: { Event: 'ContractDeleted', ContractId: 'a'.repeat(24) } });
    const fine = await add(['n', notice, 'r', '0']);
    const truncated = await add(['n', '{"payload":', 'r', '0']);
    const undated = await add(['n', notice, 'r', 'yesterday']);
    await expect(log.get(fine)).resolves.toMatchObject({ notice: { kind: 'contract' } });
    await expect(log.get(truncated)).rejects.toThrow(
      new StoredEventError(truncated, 'its notice is not JSON'),
    );
    await expect(log.get(undated)).rejects.toThrow(/cannot be read: r: expected an integer/);
  });
});
