// The process-wide cache under the per-request DataLoaders: a bounded LRU with per-kind TTLs, entries
// dropped by entity id when billwerk reports a change, and one in-flight call shared by identical reads.
import { LRUCache } from 'lru-cache';

/** What a cache entry holds; catalogue lists are stored whole under `Catalogue:<list>`. */
export type EntityKind =
  | 'Customer'
  | 'Contract'
  | 'Invoice'
  | 'ContractChange'
  | 'PlanGroup'
  | 'Plan'
  | 'PlanVariant'
  | 'Component'
  | 'Discount'
  | 'Coupon'
  | 'Catalogue';

export interface SharedCacheOptions {
  /** Most entries kept; the least recently used go first. @default 10000 */
  maxEntries?: number;
  /**
   * How long a customer, contract or invoice read stays fresh. Short, because webhooks (which drop entries)
   * can arrive late or not at all; this bounds staleness when they do. @default 15000
   */
  entityTtlMs?: number;
  /** How long catalogue data (plan groups, plans, variants, components, discounts, coupons) stays fresh. @default 300000 */
  catalogueTtlMs?: number;
  /** Clock for TTLs, injectable for tests. @default performance.now */
  now?: () => number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Reads that joined a call already in flight instead of starting their own. */
  shared: number;
}

export interface SharedCache {
  /** Cached value, else the result of `load` (one call for all concurrent askers), stored on success. */
  read<T extends object>(kind: EntityKind, id: string, load: () => Promise<T>): Promise<T>;
  /** Joins an identical call in flight, without caching the result (lists, previews). */
  shareInFlight<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** Stores a value read some other way (e.g. items of a list), so a later `read` is free. */
  prime(kind: EntityKind, id: string, value: object): void;
  /** Drops one entity; the next read goes to billwerk. */
  invalidate(kind: EntityKind, id: string): void;
  /** Drops a whole kind (e.g. every catalogue list after a PlanChanged). */
  invalidateKind(kind: EntityKind): void;
  readonly stats: Readonly<CacheStats>;
}

const CATALOGUE_KINDS = new Set<EntityKind>([
  'PlanGroup',
  'Plan',
  'PlanVariant',
  'Component',
  'Discount',
  'Coupon',
  'Catalogue',
]);

const keyOf = (kind: EntityKind, id: string) => `${kind}:${id}`;

export function createSharedCache(options: SharedCacheOptions = {}): SharedCache {
  const entityTtl = options.entityTtlMs ?? 15_000;
  const catalogueTtl = options.catalogueTtlMs ?? 300_000;
  const ttlOf = (kind: EntityKind) => (CATALOGUE_KINDS.has(kind) ? catalogueTtl : entityTtl);
  const lru = new LRUCache<string, object>({
    max: options.maxEntries ?? 10_000,
    ttl: Math.max(entityTtl, catalogueTtl),
    ttlAutopurge: false,
    // With an injected clock, read it on every check instead of lru-cache's 1 ms memo of "now".
    ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
  });
  const inFlight = new Map<string, Promise<unknown>>();
  // A read that started before an invalidation must not store what it fetched: it may predate the change.
  const generation = new Map<string, number>();
  const stats: CacheStats = { hits: 0, misses: 0, shared: 0 };

  function shareInFlight<T>(key: string, load: () => Promise<T>): Promise<T> {
    const pending = inFlight.get(key);
    if (pending) {
      stats.shared += 1;
      return pending as Promise<T>;
    }
    const started = load().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  return {
    async read<T extends object>(kind: EntityKind, id: string, load: () => Promise<T>): Promise<T> {
      const key = keyOf(kind, id);
      const cached = lru.get(key);
      if (cached !== undefined) {
        stats.hits += 1;
        return cached as T;
      }
      stats.misses += 1;
      const seen = generation.get(key) ?? 0;
      const value = await shareInFlight(`read:${key}`, load);
      if ((generation.get(key) ?? 0) === seen) lru.set(key, value, { ttl: ttlOf(kind) });
      return value;
    },
    shareInFlight,
    prime(kind, id, value) {
      lru.set(keyOf(kind, id), value, { ttl: ttlOf(kind) });
    },
    invalidate(kind, id) {
      const key = keyOf(kind, id);
      lru.delete(key);
      generation.set(key, (generation.get(key) ?? 0) + 1);
      // Bounded like the cache itself: an old generation only matters while a read is in flight.
      if (generation.size > 10_000) generation.clear();
    },
    invalidateKind(kind) {
      const prefix = `${kind}:`;
      for (const key of lru.keys()) {
        if (key.startsWith(prefix)) {
          lru.delete(key);
          generation.set(key, (generation.get(key) ?? 0) + 1);
        }
      }
    },
    stats,
  };
}
