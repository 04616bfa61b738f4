// Leases for work that one gateway instance at a time must do (the reconciliation sweep): held until
// released or until their time runs out, so a crashed holder never blocks the others for long.
import { randomUUID } from 'node:crypto';
import { type Redis } from 'ioredis';

export interface Lease {
  /** Takes the lease for `ttlMs` when nobody holds it; resolves whether this instance now holds it. */
  acquire(name: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease back, if this instance still holds it. */
  release(name: string): Promise<void>;
}

/** One process alone: the lease is always free (the work itself never overlaps, see its caller). */
export const localLease: Lease = {
  acquire: () => Promise.resolve(true),
  release: () => Promise.resolve(),
};

// KEYS: the lease. ARGV: this holder's token. Deletes the lease only while this holder still has it.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Several instances on one Redis: `SET NX PX`, released only by its holder (a token per acquisition). */
export function redisSweepLease(redis: Redis, prefix: string): Lease {
  const tokens = new Map<string, string>();
  return {
    async acquire(name, ttlMs) {
      const token = randomUUID();
      const taken = await redis.set(`${prefix}${name}`, token, 'PX', ttlMs, 'NX');
      if (taken !== 'OK') return false;
      tokens.set(name, token);
      return true;
    },
    async release(name) {
      const token = tokens.get(name);
      if (token === undefined) return;
      tokens.delete(name);
      await redis.eval(RELEASE, 1, `${prefix}${name}`, token);
    },
  };
}
