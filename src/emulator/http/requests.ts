// The request log: the REST calls under /api/v1 and the /oauth calls the emulator answered, the newest
// `maxEntries` of them. Tests count calls with it ("N contracts cost exactly K REST calls").

export interface RequestRecord {
  method: string;
  /** The path as requested, without the query. */
  path: string;
  /** The query string without '?', or ''. */
  query: string;
  status: number;
  /** Wall-clock epoch ms when the answer was sent. */
  at: number;
}

export interface RequestFilter {
  method?: string;
  /** A string matches the whole path case-insensitively; a RegExp is tested against it. */
  path?: string | RegExp;
}

export interface RequestLog {
  record(entry: RequestRecord): void;
  /** The records kept, oldest first. */
  list(): RequestRecord[];
  count(filter?: RequestFilter): number;
  reset(): void;
}

/** A string matches the whole path case-insensitively; a RegExp is tested (ignoring any lastIndex state). */
export function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (typeof pattern === 'string') return pattern.toLowerCase() === path.toLowerCase();
  pattern.lastIndex = 0;
  return pattern.test(path);
}

/** Paths the log records. */
export function isLogged(path: string): boolean {
  const lower = path.toLowerCase();
  return lower.startsWith('/api/v1/') || lower === '/api/v1' || lower.startsWith('/oauth/');
}

export interface RequestLogOptions {
  /**
   * Records kept: the newest, in a ring, so a long run costs a bounded amount of memory (unbounded, a long
   * test run's log grew to about 20 MB). @default 10000
   */
  maxEntries?: number;
}

export function createRequestLog(options: RequestLogOptions = {}): RequestLog {
  const max = options.maxEntries ?? 10_000;
  if (!Number.isInteger(max) || max < 1)
    throw new RangeError(`maxEntries must be a positive integer, got ${max}`);
  let ring: RequestRecord[] = [];
  /** Where the next record goes once the ring is full (its oldest record). */
  let next = 0;
  const inOrder = (): RequestRecord[] => [...ring.slice(next), ...ring.slice(0, next)];
  const matches = (entry: RequestRecord, filter: RequestFilter): boolean => {
    if (filter.method !== undefined && filter.method.toUpperCase() !== entry.method) return false;
    return filter.path === undefined || pathMatches(filter.path, entry.path);
  };
  return {
    record(entry) {
      if (ring.length < max) ring.push(entry);
      else {
        ring[next] = entry;
        next = (next + 1) % max;
      }
    },
    list: () => inOrder().map((entry) => ({ ...entry })),
    count: (filter = {}) => ring.filter((entry) => matches(entry, filter)).length,
    reset: () => {
      ring = [];
      next = 0;
    },
  };
}
