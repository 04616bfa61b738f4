// The process-wide cache under the per-request DataLoaders: a bounded LRU with per-kind TTLs, entries
// dropped by entity id when billwerk reports a change, and one in-flight call shared by identical reads.
import { LRUCache } from 'lru-cache';

/** The entities of billwerk's product catalogue: the one list of them (reader.ts maps each to its read). */
export const CATALOGUE_ENTITIES = [
  'PlanGroup',
  'Plan',
  'PlanVariant',
  'Component',
  'Discount',
  'Coupon',
] as const;
export type CatalogueKind = (typeof CATALOGUE_ENTITIES)[number];

/** What a cache entry holds; the whole catalogue is stored under `Catalogue:productInfo`. */
export type EntityKind = 'Customer' | 'Contract' | 'Invoice' | 'ContractChange' | CatalogueKind | 'Catalogue';

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

/** The catalogue's kinds: kept longer than entities, and dropped together when one of them changes. */
export const CATALOGUE_KINDS: ReadonlySet<EntityKind> = new Set<EntityKind>([
  ...CATALOGUE_ENTITIES,
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
  /**
   * Entity reads in flight, one per key. An invalidation detaches the key's read: a read that starts after
   * it never joins one from before it (that answer may predate the change the invalidation announces;
   * billwerk's advice for ContractChanged is to fetch the contract, so enrichment must see the change), and
   * the detached read's answer is not stored (it must not overwrite a fresher entry).
   */
  const reads = new Map<string, { promise: Promise<object>; current: boolean }>();
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

  function detach(key: string): void {
    const read = reads.get(key);
    if (!read) return;
    read.current = false;
    reads.delete(key);
  }

  return {
    read<T extends object>(kind: EntityKind, id: string, load: () => Promise<T>): Promise<T> {
      const key = keyOf(kind, id);
      const cached = lru.get(key);
      if (cached !== undefined) {
        stats.hits += 1;
        return Promise.resolve(cached as T);
      }
      stats.misses += 1;
      const joined = reads.get(key);
      if (joined) {
        stats.shared += 1;
        return joined.promise as Promise<T>;
      }
      const read = { promise: load(), current: true };
      reads.set(key, read);
      void read.promise
        .then(
          (value) => {
            if (read.current) lru.set(key, value, { ttl: ttlOf(kind) });
          },
          // A failed load is not cached; its callers get the error.
          () => undefined,
        )
        .finally(() => {
          if (reads.get(key) === read) reads.delete(key);
        });
      return read.promise;
    },
    shareInFlight,
    prime(kind, id, value) {
      lru.set(keyOf(kind, id), value, { ttl: ttlOf(kind) });
    },
    invalidate(kind, id) {
      const key = keyOf(kind, id);
      lru.delete(key);
      detach(key);
    },
    invalidateKind(kind) {
      const prefix = `${kind}:`;
      for (const key of [...lru.keys()]) if (key.startsWith(prefix)) lru.delete(key);
      for (const key of [...reads.keys()]) if (key.startsWith(prefix)) detach(key);
    },
    stats,
  };
}
