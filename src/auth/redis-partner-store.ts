// Partners' signed-up customers shared by every instance through Redis: one set per partner, loaded into
// memory at start (fan-out asks synchronously on every event) and kept current by a message each instance
// receives when any of them adds a customer.
import { type Redis } from 'ioredis';
import { parseBillwerkId, type BillwerkId } from '../billwerk/id.js';
import { type PartnerStore } from './partner-store.js';

export interface RedisPartnerStoreOptions {
  /** Ordinary commands. */
  redis: Redis;
  /** A connection of its own for the subscription (a subscribed connection runs nothing else). */
  subscriber: Redis;
  /** @default 'bgg:' */
  keyPrefix?: string;
}

export interface RedisPartnerStore extends PartnerStore {
  /** Resolves once the stored sets are loaded (start does not wait for it: Redis may be down then). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

interface Added {
  partnerId: string;
  customerId: BillwerkId;
}

/** A message from the channel: anything but a partner id with a billwerk customer id is ignored. */
function parseAdded(value: unknown): Added | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { partnerId, customerId } = value as Record<string, unknown>;
  const id = parseBillwerkId(customerId);
  return typeof partnerId === 'string' && id !== undefined ? { partnerId, customerId: id } : undefined;
}

export function createRedisPartnerStore(options: RedisPartnerStoreOptions): RedisPartnerStore {
  const { redis, subscriber } = options;
  const prefix = `${options.keyPrefix ?? 'bgg:'}partners:`;
  const partnersKey = `${prefix}ids`;
  const channel = `${prefix}added`;
  const byPartner = new Map<string, Set<BillwerkId>>();
  const remember = ({ partnerId, customerId }: Added) => {
    let set = byPartner.get(partnerId);
    if (!set) byPartner.set(partnerId, (set = new Set()));
    set.add(customerId);
  };

  // Subscribed before loading, so an addition made meanwhile is not missed (adding twice is harmless).
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    try {
      const added = parseAdded(JSON.parse(message));
      if (added) remember(added);
    } catch {
      // Not ours: ignore.
    }
  });
  const ready = (async () => {
    await subscriber.subscribe(channel);
    for (const partnerId of await redis.smembers(partnersKey)) {
      for (const stored of await redis.smembers(`${prefix}${partnerId}`)) {
        const added = parseAdded({ partnerId, customerId: stored });
        if (added) remember(added);
      }
    }
  })();

  return {
    ready,
    async add(partnerId, customerId) {
      if (byPartner.get(partnerId)?.has(customerId)) return;
      await redis
        .multi()
        .sadd(partnersKey, partnerId)
        .sadd(`${prefix}${partnerId}`, customerId)
        .publish(channel, JSON.stringify({ partnerId, customerId } satisfies Added))
        .exec();
      remember({ partnerId, customerId });
    },
    has: (partnerId, customerId) =>
      (byPartner.get(partnerId) as ReadonlySet<string> | undefined)?.has(customerId) ?? false,
    customersOf: (partnerId) => [...(byPartner.get(partnerId) ?? [])],
    async close() {
      // Only on a live connection: while Redis is unreachable the command would wait for a reconnect
      // (the connection is closed right after anyway).
      if (subscriber.status === 'ready') await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
