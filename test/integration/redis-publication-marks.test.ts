// The published stream is read only through its marks (redis-event-log.ts): with REDIS_WAIT_REPLICAS an
// event becomes readable once a replica has its publication. Here the failover that loses a publication is
// made certain: the replica is cut off (REPLICAOF NO ONE) before the event is published, then promoted,
// and the old primary follows it. What a subscriber could read before is what it reads after, number for
// number; the lost publication is published again under a new number, once.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { type EventLog } from '../../src/events/event-log.js';
import { dedupeKey, mayRepeat } from '../../src/events/notice.js';
import {
  createRedisEventLog,
  createRedisMarks,
  redisEventKeys,
  seqOf,
} from '../../src/events/redis-event-log.js';
import { ReplicationError } from '../../src/redis/probe.js';
import { notice } from '../helpers/notices.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { command, replicating, startReplica } from '../helpers/redis-topologies.js';

const CONTRACTS = ['645b429bb73d36f442b223df', '645b429bb73d36f442b223e0', '645b429bb73d36f442b223e1'];
const keys = redisEventKeys();
let servers: RedisServer[] = [];
const connections: Redis[] = [];

beforeEach(async () => {
  // A replica's first sync starts at once, not after Redis's default 5 s wait for more replicas.
  const args = ['--repl-diskless-sync-delay', '0'];
  const primary = await startRedis({ args });
  servers = [primary, await startReplica(primary, args)];
});
afterEach(async () => {
  for (const redis of connections.splice(0)) redis.disconnect();
  await Promise.all(servers.map((server) => server.close()));
});

/** A log on `server`, waiting for one replica (as REDIS_WAIT_REPLICAS=1) unless `waitReplicas` is 0. */
function logOn(server: RedisServer, waitReplicas = 1, followedThrough?: () => number) {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 0 });
  connections.push(redis);
  const replicated = async () => {
    const acknowledged = await redis.wait(waitReplicas, 1000);
    if (acknowledged < waitReplicas) throw new ReplicationError(acknowledged, waitReplicas);
  };
  const log = createRedisEventLog({
    redis,
    retentionMs: 60_000,
    replicated: waitReplicas > 0 ? replicated : undefined,
    followedThrough,
  });
  return { log, redis, marks: createRedisMarks(redis, keys) };
}

async function append(log: EventLog, contract: number, n: number): Promise<number> {
  const parsed = notice({ Event: 'ContractChanged', ContractId: CONTRACTS[contract], N: n });
  const result = await log.append(parsed, {
    dedupeKey: dedupeKey(parsed),
    mayRepeat: mayRepeat(parsed, 0),
    receivedAt: new Date(),
  });
  if (!result.stored) throw new Error('expected a new event');
  return result.seq;
}

const publish = (log: EventLog, seq: number) => log.publish(seq, undefined, 'published', new Date());
const numbers = async (log: EventLog, after = 0) =>
  (await log.readPublished(after, 100)).map((event) => [event.publishedSeq, event.seq]);

describe('publication marks with REDIS_WAIT_REPLICAS', () => {
  it('keeps a publication no replica has unread, and a failover cannot give its number to another', async () => {
    const [primary, replica] = servers as [RedisServer, RedisServer];
    const before = logOn(primary);
    const first = await append(before.log, 0, 1);
    const second = await append(before.log, 1, 2);
    const third = await append(before.log, 2, 3);
    await publish(before.log, first);
    expect(await numbers(before.log)).toEqual([[1, 1]]);

    // The replica stops following (what a failover that is already under way looks like to the primary).
    await command(replica.port, 'REPLICAOF', 'NO', 'ONE');
    await expect(publish(before.log, second)).rejects.toThrow(ReplicationError);
    // Published on the old primary, under number 2, and not readable there: no tail hands it on.
    expect((await before.redis.xrange(keys.published, '-', '+')).map(([id]) => seqOf(id))).toEqual([1, 2]);
    expect(await before.marks.readableThrough()).toBe(1);
    expect(await numbers(before.log)).toEqual([[1, 1]]);

    // The old primary follows the new one, and the lost publication is gone from both.
    await command(primary.port, 'REPLICAOF', '127.0.0.1', replica.port);
    await replicating(replica.port, primary.port);
    const after = logOn(replica);
    // Lanes run in parallel: the third event happens to be published first on the new primary.
    expect((await publish(after.log, third)).publishedSeq).toBe(2);
    expect((await publish(after.log, second)).publishedSeq).toBe(3);
    expect(await numbers(after.log, 1)).toEqual([
      [2, 3],
      [3, 2],
    ]);
    // Publishing again is idempotent, and marks only move forward.
    expect((await publish(after.log, second)).publishedSeq).toBe(3);
    await after.marks.mark(1);
    expect(await after.marks.readableThrough()).toBe(3);
  });

  it('reads what the tail of this instance read, where a failover set the marks back', async () => {
    const [primary] = servers as [RedisServer, RedisServer];
    let followed = 0;
    const { log, redis } = logOn(primary, 1, () => followed);
    for (let n = 1; n <= 3; n += 1) await publish(log, await append(log, n % 3, n));
    // As on a new primary that lacks the newest marks (not yet replicated), never the entries up to them.
    await redis.del(keys.visible);
    await redis.xadd(keys.visible, '0-1', 'p', '');
    expect(await numbers(log)).toEqual([[1, 1]]);
    followed = 3;
    expect((await numbers(log)).map(([seq]) => seq)).toEqual([1, 2, 3]);
  });

  it('keeps what was published before marks existed readable', async () => {
    const { log, redis, marks } = logOn(servers[0]!, 1);
    const seqs = [await append(log, 0, 1), await append(log, 1, 2), await append(log, 2, 3)];
    await publish(log, seqs[0]!);
    await publish(log, seqs[1]!);
    // A deployment that published with an earlier version: no marks stream at all.
    await redis.del(keys.visible);
    expect(await marks.readableThrough()).toBe(2);
    expect(await numbers(log)).toEqual([
      [1, 1],
      [2, 2],
    ]);
    await publish(log, seqs[2]!);
    expect(await marks.readableThrough()).toBe(3);
    expect(await command(servers[0]!.port, 'XLEN', keys.visible)).toBe(2);
  });
});

describe('publication marks without REDIS_WAIT_REPLICAS', () => {
  it('makes each event readable as it is published', async () => {
    const { log, marks } = logOn(servers[0]!, 0);
    const seq = await append(log, 0, 1);
    expect(await marks.readableThrough()).toBe(0);
    await publish(log, seq);
    expect(await marks.readableThrough()).toBe(1);
    expect(await numbers(log)).toEqual([[1, 1]]);
  });
});
