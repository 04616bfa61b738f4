// The idempotency record store: what a mutation's key is bound to (its input's fingerprint), how far
// its attempt got (checkpoints) and its final outcome. SQLite (sqlite-store.ts) or Redis (redis-store.ts).

/** A final outcome, replayed verbatim to every repeat of the key. */
export type StoredOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: string; message: string; extensions: Record<string, unknown> } };

/** Results of billwerk calls an attempt already made, by step name, so a retry does not make them again. */
export type Checkpoints = Readonly<Record<string, unknown>>;

/** What `claim` found. */
export type Claim =
  /** The caller now holds the key; `token` proves it on every later write. */
  | { kind: 'acquired'; token: string; checkpoints: Checkpoints; resumed: boolean }
  /** The key finished earlier: replay this. */
  | { kind: 'done'; outcome: StoredOutcome }
  /** Another attempt holds the key and its lease has not run out. */
  | { kind: 'running' }
  /** The key was used with another input (or operation). */
  | { kind: 'mismatch'; operation: string };

export interface ClaimRequest {
  /** Whose key it is (the principal): keys of different callers never meet. */
  scope: string;
  key: string;
  /** The mutation's name, kept for diagnostics and CONFLICT messages. */
  operation: string;
  /** Hash of the operation and its normalised input. */
  fingerprint: string;
}

export interface IdempotencyStore {
  /**
   * Takes the key for an attempt, atomically: a new key, an interrupted attempt, or a running attempt
   * whose lease expired (its process died) is acquired; anything else is reported.
   */
  claim(request: ClaimRequest): Promise<Claim>;
  /** Saves a step's result and renews the lease; throws LostKeyError when `token` no longer holds the key. */
  checkpoint(scope: string, key: string, token: string, step: string, value: unknown): Promise<void>;
  /** Stores the final outcome and frees the key; kept at least `ttlMs` from now. */
  complete(scope: string, key: string, token: string, outcome: StoredOutcome): Promise<void>;
  /**
   * The attempt stopped without an outcome (billwerk unreachable, 5xx): the key stays bound to its input
   * and keeps its checkpoints, so a retry resumes instead of starting over.
   */
  release(scope: string, key: string, token: string): Promise<void>;
  /** The attempt did nothing (refused before its first step): forget the key, so it can be used again. */
  discard(scope: string, key: string, token: string): Promise<void>;
  /**
   * Resolves when the key may have stopped running (completed, released, discarded, lease expired) —
   * true — or after `timeoutMs` — false. Callers claim again either way.
   */
  waitForSettle(scope: string, key: string, timeoutMs: number): Promise<boolean>;
  /** Deletes expired records; returns how many. */
  purgeExpired(): Promise<number>;
  close(): Promise<void>;
}

/** Timing shared by the stores (sqlite-store.ts, redis-store.ts). */
export interface IdempotencyTiming {
  /** How long a finished key is kept, counted from its outcome (at least 24 h, as Stripe and the IETF draft keep them). @default 86400000 */
  ttlMs?: number;
  /**
   * How long an attempt may hold a key without writing a checkpoint before another attempt may take it
   * over (its process is presumed dead). Longer than the slowest billwerk step. @default 120000
   */
  leaseMs?: number;
  /** How often a waiter looks for an outcome written by another process. @default 250 */
  pollMs?: number;
  /** Clock in epoch ms (expiry and leases). @default Date.now */
  now?: () => number;
}

/** A write by an attempt whose lease ran out and whose key another attempt took over. */
export class LostKeyError extends Error {
  constructor(readonly key: string) {
    super('the idempotency key was taken over by another attempt after its lease expired');
    this.name = 'LostKeyError';
  }
}

/**
 * The store could not be read or written (Redis or the database is down): nothing is known about the key,
 * so the request is refused as a retryable outage (UPSTREAM_UNAVAILABLE) rather than run unguarded.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the idempotency store is not reachable', { cause });
    this.name = 'StoreUnavailableError';
  }
}
