// The DestinationStore on Redis, shared by every instance: a destination is a hash of JSON fields, its
// deliveries a hash of JSON records beside a hash of bodies, a sorted set of all sequences and one of the
// open ones (the backlog). Writes that must not outlive a deleted destination run as scripts that check it.
import { type Redis } from 'ioredis';
import {
  deliverySchema,
  destinationSchema,
  isOpen,
  type AttemptRecord,
  type DeliveryPageQuery,
  type DeliveryRecord,
  type DestinationPatch,
  type DestinationRecord,
  type DestinationStore,
} from './destination.js';

export interface RedisDestinationStoreOptions {
  redis: Redis;
  /** REDIS_KEY_PREFIX. */
  keyPrefix: string;
}

// KEYS: destination hash. ARGV: field, json, field, json, … Sets the fields of an existing destination.
const PATCH = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1`;

// KEYS: destination, records, bodies, all sequences, open sequences. ARGV: seq, record json, body.
// Stores a new delivery (a known one is kept) and moves the destination's cursor forward.
const ENQUEUE = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
  redis.call('ZADD', KEYS[4], ARGV[1], ARGV[1])
  redis.call('ZADD', KEYS[5], ARGV[1], ARGV[1])
end
local cursor = tonumber(redis.call('HGET', KEYS[1], 'cursorSeq'))
if cursor == nil or tonumber(ARGV[1]) > cursor then redis.call('HSET', KEYS[1], 'cursorSeq', ARGV[1]) end
return 1`;

// KEYS: destination, records, open sequences. ARGV: seq, record json, open (1/0), field, json, …
// Records an attempt's outcome unless the destination (or the delivery) was deleted meanwhile.
const RECORD = `if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('ZADD', KEYS[3], ARGV[1], ARGV[1]) else redis.call('ZREM', KEYS[3], ARGV[1]) end
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
return 1`;

/** A patch as `field, json` pairs (undefined values left out). */
function pairs(patch: object): string[] {
  return Object.entries(patch).flatMap(([field, value]) =>
    value === undefined ? [] : [field, JSON.stringify(value)],
  );
}

function parseDestination(hash: Record<string, string>): DestinationRecord | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  const fields = Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, JSON.parse(v) as unknown]));
  return destinationSchema.parse(fields);
}

const parseDelivery = (json: string): DeliveryRecord => deliverySchema.parse(JSON.parse(json));

/** The store's connection and key names: every operation below takes it. */
interface RedisStore {
  readonly redis: Redis;
  /** The sorted set of every destination's id, by creation time. */
  readonly all: string;
  /** A destination's keys, in one hash slot (the braces) so its scripts run on a cluster. */
  readonly keys: (id: string) => DestinationKeys;
}

interface DestinationKeys {
  destination: string;
  records: string;
  bodies: string;
  sequences: string;
  open: string;
}

function redisStore(options: RedisDestinationStoreOptions): RedisStore {
  const prefix = `${options.keyPrefix}destinations:`;
  return {
    redis: options.redis,
    all: `${prefix}all`,
    keys: (id) => ({
      destination: `${prefix}{${id}}:record`,
      records: `${prefix}{${id}}:deliveries`,
      bodies: `${prefix}{${id}}:bodies`,
      sequences: `${prefix}{${id}}:sequences`,
      open: `${prefix}{${id}}:open`,
    }),
  };
}

// Reading.

const get = async ({ redis, keys }: RedisStore, id: string) =>
  parseDestination(await redis.hgetall(keys(id).destination));

async function records({ redis, keys }: RedisStore, id: string, seqs: string[]): Promise<DeliveryRecord[]> {
  if (seqs.length === 0) return [];
  const found = await redis.hmget(keys(id).records, ...seqs);
  return found.flatMap((json) => (json === null ? [] : [parseDelivery(json)]));
}

function ids({ redis, all }: RedisStore): Promise<string[]> {
  return redis.zrange(all, '0', '-1');
}

/** A page of deliveries in sequence order, read 200 sequences at a time and filtered by state. */
async function deliveryPage(
  store: RedisStore,
  destinationId: string,
  query: DeliveryPageQuery,
): Promise<DeliveryRecord[]> {
  const found: DeliveryRecord[] = [];
  let after = `(${query.afterSeq ?? 0}`;
  while (found.length < query.first) {
    const seqs = await store.redis.zrangebyscore(
      store.keys(destinationId).sequences,
      after,
      '+inf',
      'LIMIT',
      '0',
      '200',
    );
    const page = await records(store, destinationId, seqs);
    found.push(...page.filter((d) => query.state === undefined || d.state === query.state));
    if (seqs.length < 200) break;
    after = `(${seqs.at(-1)!}`;
  }
  return found.slice(0, query.first);
}

// Writing deliveries.

async function enqueue(store: RedisStore, delivery: DeliveryRecord, body: string): Promise<void> {
  const k = store.keys(delivery.destinationId);
  await store.redis.eval(
    ENQUEUE,
    5,
    k.destination,
    k.records,
    k.bodies,
    k.sequences,
    k.open,
    String(delivery.seq),
    JSON.stringify(delivery),
    body,
  );
}

async function record(store: RedisStore, destinationId: string, seq: number, attempt: AttemptRecord) {
  const k = store.keys(destinationId);
  const current = (await records(store, destinationId, [String(seq)]))[0];
  if (!current) return;
  const next: DeliveryRecord = { ...current, ...attempt.delivery };
  await store.redis.eval(
    RECORD,
    3,
    k.destination,
    k.records,
    k.open,
    String(seq),
    JSON.stringify(next),
    isOpen(next.state) ? '1' : '0',
    ...pairs(attempt.destination),
  );
}

async function redeliver(
  store: RedisStore,
  destinationId: string,
  fromSeq: number,
  toSeq: number,
  now: number,
): Promise<number> {
  const k = store.keys(destinationId);
  const seqs = await store.redis.zrangebyscore(k.sequences, fromSeq, toSeq);
  let count = 0;
  for (let i = 0; i < seqs.length; i += 200) {
    const page = await records(store, destinationId, seqs.slice(i, i + 200));
    if (page.length === 0) continue;
    const reopened = page.map((d) => ({
      ...d,
      state: 'pending' as const,
      nextAttemptAt: now,
      firstAttemptAt: null,
    }));
    await store.redis
      .multi()
      .hset(k.records, ...reopened.flatMap((d) => [String(d.seq), JSON.stringify(d)]))
      .zadd(k.open, ...reopened.flatMap((d) => [d.seq, String(d.seq)]))
      .exec();
    count += reopened.length;
  }
  return count;
}

// Maintenance.

async function pruneOne(store: RedisStore, id: string, before: number): Promise<number> {
  const { redis } = store;
  const k = store.keys(id);
  let removed = 0;
  let after = '-inf';
  for (;;) {
    const seqs = await redis.zrangebyscore(k.sequences, after, '+inf', 'LIMIT', '0', '200');
    const page = await records(store, id, seqs);
    const old = page.filter((d) => d.createdAt < before);
    const drop = old.filter((d) => !isOpen(d.state)).map((d) => String(d.seq));
    if (drop.length > 0) {
      await redis
        .multi()
        .hdel(k.records, ...drop)
        .hdel(k.bodies, ...drop)
        .zrem(k.sequences, ...drop)
        .exec();
      removed += drop.length;
    }
    // Sequences grow with time: once one is young enough, the rest are too.
    if (seqs.length < 200 || old.length < page.length) return removed;
    after = `(${seqs.at(-1)!}`;
  }
}

/** The store's key names, and the operations above: reading, writing deliveries, maintenance. */
export function createRedisDestinationStore(options: RedisDestinationStoreOptions): DestinationStore {
  const store = redisStore(options);
  const { redis, keys, all } = store;
  return {
    async create(record) {
      await redis
        .multi()
        .hset(keys(record.id).destination, ...pairs(record))
        .zadd(all, record.createdAt, record.id)
        .exec();
    },
    get: (id) => get(store, id),
    async list() {
      const found = await Promise.all((await ids(store)).map((id) => get(store, id)));
      return found.filter((d): d is DestinationRecord => d !== undefined);
    },
    async update(id, patch: DestinationPatch) {
      const done = await redis.eval(PATCH, 1, keys(id).destination, ...pairs(patch));
      return done === 1 ? get(store, id) : undefined;
    },
    async delete(id) {
      const removed = await redis.zrem(all, id);
      const k = keys(id);
      await redis.unlink(k.destination, k.records, k.bodies, k.sequences, k.open);
      return removed > 0;
    },
    enqueue: (delivery, body) => enqueue(store, delivery, body),
    async pending(destinationId, limit) {
      return records(
        store,
        destinationId,
        await redis.zrange(keys(destinationId).open, '0', String(limit - 1)),
      );
    },
    async body(destinationId, seq) {
      return (await redis.hget(keys(destinationId).bodies, String(seq))) ?? undefined;
    },
    record: (destinationId, seq, attempt) => record(store, destinationId, seq, attempt),
    deliveries: (destinationId, query) => deliveryPage(store, destinationId, query),
    async deliveriesOfEvent(seq) {
      const found = await Promise.all((await ids(store)).map((id) => records(store, id, [String(seq)])));
      return found.flat();
    },
    redeliver: (destinationId, fromSeq, toSeq, now) => redeliver(store, destinationId, fromSeq, toSeq, now),
    backlog: (destinationId) => redis.zcard(keys(destinationId).open),
    async prune(before) {
      let removed = 0;
      for (const id of await ids(store)) removed += await pruneOne(store, id, before);
      return removed;
    },
    close: () => Promise.resolve(),
  };
}
