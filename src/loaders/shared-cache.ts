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
  /**
   * Cached value, else the result of `load` (one call for all concurrent askers), stored on success. A null
   * answer (billwerk has no such entity) is not stored, as a failure is not: it may exist a moment later.
   * With `since` (a `mark()`), only a value whose read started at or after that mark will do: an older
   * entry, or an older read in flight, is read again (and the older read's answer is then not stored).
   */
  read<T extends object | null>(
    kind: EntityKind,
    id: string,
    load: () => Promise<T>,
    since?: number,
  ): Promise<T>;
  /**
   * A point in the order of reads: every read started from now on is at or after it. Enrichment takes one
   * as an event is handed on, so any read started later reports a state billwerk had after the notice.
   */
  mark(): number;
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

/** An entity read in flight; `current` turns false when an invalidation detaches it. */
interface EntityRead {
  promise: Promise<object | null>;
  current: boolean;
  /** The mark count when it started (see `mark()`). */
  started: number;
}

/** A stored value and the mark count when its read started. */
interface Entry {
  value: object;
  started: number;
}

/**
 * When a primed value's read started: unknown (a list may have been read before the change a webhook
 * announced), so it is older than every mark.
 */
const PRIMED = Number.NEGATIVE_INFINITY;

/** What the cache's operations share. */
interface CacheState {
  readonly lru: LRUCache<string, Entry>;
  /** How long an entry of this kind stays fresh. */
  readonly ttlOf: (kind: EntityKind) => number;
  /** Calls shared by shareInFlight, one per key. */
  readonly inFlight: Map<string, Promise<unknown>>;
  /**
   * Entity reads in flight, one per key. An invalidation detaches the key's read: a read that starts after
   * it never joins one from before it (that answer may predate the change the invalidation announces;
   * billwerk's advice for ContractChanged is to fetch the contract, so enrichment must see the change), and
   * the detached read's answer is not stored (it must not overwrite a fresher entry).
   */
  readonly reads: Map<string, EntityRead>;
  readonly stats: CacheStats;
  /** Marks taken so far: a read started after mark m records at least m. */
  marks: number;
}

function read<T extends object | null>(
  cache: CacheState,
  kind: EntityKind,
  id: string,
  load: () => Promise<T>,
  since = PRIMED,
): Promise<T> {
  const { lru, reads, stats } = cache;
  const key = keyOf(kind, id);
  const cached = lru.get(key);
  if (cached !== undefined && cached.started >= since) {
    stats.hits += 1;
    return Promise.resolve(cached.value as T);
  }
  stats.misses += 1;
  const joined = reads.get(key);
  if (joined && joined.started >= since) {
    stats.shared += 1;
    return joined.promise as Promise<T>;
  }
  // Older than the caller may use: its answer must not overwrite the one read now.
  if (joined) detach(cache, key);
  const started: EntityRead = { promise: load(), current: true, started: cache.marks };
  reads.set(key, started);
  void started.promise
    .then(
      (value) => {
        if (started.current && value !== null) {
          lru.set(key, { value, started: started.started }, { ttl: cache.ttlOf(kind) });
        }
      },
      // A failed load is not cached; its callers get the error.
      () => undefined,
    )
    .finally(() => {
      if (reads.get(key) === started) reads.delete(key);
    });
  return started.promise as Promise<T>;
}

function shareInFlight<T>(cache: CacheState, key: string, load: () => Promise<T>): Promise<T> {
  const pending = cache.inFlight.get(key);
  if (pending) {
    cache.stats.shared += 1;
    return pending as Promise<T>;
  }
  const started = load().finally(() => cache.inFlight.delete(key));
  cache.inFlight.set(key, started);
  return started;
}

function detach(cache: CacheState, key: string): void {
  const pending = cache.reads.get(key);
  if (!pending) return;
  pending.current = false;
  cache.reads.delete(key);
}

function invalidateKind(cache: CacheState, kind: EntityKind): void {
  const prefix = `${kind}:`;
  for (const key of [...cache.lru.keys()]) if (key.startsWith(prefix)) cache.lru.delete(key);
  for (const key of [...cache.reads.keys()]) if (key.startsWith(prefix)) detach(cache, key);
}

export function createSharedCache(options: SharedCacheOptions = {}): SharedCache {
  const entityTtl = options.entityTtlMs ?? 15_000;
  const catalogueTtl = options.catalogueTtlMs ?? 300_000;
  const cache: CacheState = {
    lru: new LRUCache<string, Entry>({
      max: options.maxEntries ?? 10_000,
      ttl: Math.max(entityTtl, catalogueTtl),
      ttlAutopurge: false,
      // With an injected clock, read it on every check instead of lru-cache's 1 ms memo of "now".
      ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
    }),
    ttlOf: (kind) => (CATALOGUE_KINDS.has(kind) ? catalogueTtl : entityTtl),
    inFlight: new Map(),
    reads: new Map(),
    stats: { hits: 0, misses: 0, shared: 0 },
    marks: 0,
  };

  return {
    read: (kind, id, load, since) => read(cache, kind, id, load, since),
    mark: () => (cache.marks += 1),
    shareInFlight: (key, load) => shareInFlight(cache, key, load),
    prime(kind, id, value) {
      cache.lru.set(keyOf(kind, id), { value, started: PRIMED }, { ttl: cache.ttlOf(kind) });
    },
    invalidate(kind, id) {
      const key = keyOf(kind, id);
      cache.lru.delete(key);
      detach(cache, key);
    },
    invalidateKind: (kind) => invalidateKind(cache, kind),
    stats: cache.stats,
  };
}
