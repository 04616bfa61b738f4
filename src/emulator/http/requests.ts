// The request log: every REST call under /api/v1 and every /oauth call the emulator answered.
// Tests count calls with it ("N contracts cost exactly K REST calls").

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

export function createRequestLog(): RequestLog {
  let entries: RequestRecord[] = [];
  const matches = (entry: RequestRecord, filter: RequestFilter): boolean => {
    if (filter.method !== undefined && filter.method.toUpperCase() !== entry.method) return false;
    return filter.path === undefined || pathMatches(filter.path, entry.path);
  };
  return {
    record: (entry) => void entries.push(entry),
    list: () => entries.map((entry) => ({ ...entry })),
    count: (filter = {}) => entries.filter((entry) => matches(entry, filter)).length,
    reset: () => {
      entries = [];
    },
  };
}
