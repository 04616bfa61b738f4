// Which instance works on a destination: alone, always this one; on Redis, the holder of the
// destination's lease (SET NX with expiry, renewed while held). An attempt starts only while the lease has
// long enough left to outlast it, so two instances never attempt one destination at the same time.
import { randomUUID } from 'node:crypto';
import { type Redis } from 'ioredis';

export interface DestinationLease {
  /** Takes the destination's lease when nobody holds it, or renews it when this instance does. */
  claim(id: string): Promise<boolean>;
  release(id: string): Promise<void>;
  /** Whether an attempt may start now: the lease is held with more than an attempt's time left. */
  held(id: string): boolean;
}

export const localDestinationLease: DestinationLease = {
  claim: () => Promise.resolve(true),
  release: () => Promise.resolve(),
  held: () => true,
};

export interface RedisDestinationLeaseOptions {
  redis: Redis;
  /** Key prefix, e.g. `bgg:destination-lease:`. */
  prefix: string;
  /** How long a lease lasts unless renewed. @default 30000 */
  ttlMs?: number;
  /** The longest attempt (its timeout) plus a margin: attempts start only with this much lease left. @default 12000 */
  attemptMs?: number;
  /** @default Date.now */
  now?: () => number;
}

// KEYS: the lease. ARGV: token, ttl. Takes a free lease or extends this holder's.
const CLAIM = `local holder = redis.call('GET', KEYS[1])
if holder == false then return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) and 1 or 0 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
// KEYS: the lease. ARGV: token. Deletes it only while this holder has it.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export function redisDestinationLease(options: RedisDestinationLeaseOptions): DestinationLease {
  const { redis, prefix } = options;
  const ttlMs = options.ttlMs ?? 30_000;
  const attemptMs = options.attemptMs ?? 12_000;
  const now = options.now ?? Date.now;
  const token = randomUUID();
  /** Until when each lease is surely ours: its expiry as of the claim's start. */
  const until = new Map<string, number>();
  return {
    async claim(id) {
      const started = now();
      let taken = false;
      try {
        taken = (await redis.eval(CLAIM, 1, `${prefix}${id}`, token, ttlMs)) === 1;
      } catch {
        taken = false;
      }
      if (taken) until.set(id, started + ttlMs);
      else until.delete(id);
      return taken;
    },
    async release(id) {
      until.delete(id);
      await redis.eval(RELEASE, 1, `${prefix}${id}`, token).catch(() => undefined);
    },
    held: (id) => (until.get(id) ?? 0) - now() > attemptMs,
  };
}
