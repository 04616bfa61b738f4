// When a failed billwerk call may be replayed, written as an ordered decision table (first match wins),
// plus the jittered exponential backoff and the loop that applies both.
import { BillwerkError, NetworkError, RateLimitedError, TimeoutError, UpstreamError } from './errors.js';

/** The OAuth endpoint's path; its failures mean the API request itself was never sent. */
export const TOKEN_PATH = '/oauth/token';

/** Backoff never grows past this, however many retries are configured. */
export const MAX_BACKOFF_MS = 5_000;

export interface RetryContext {
  method: string;
  /** The caller's word on whether a replay is harmless; undefined = judge by the method. */
  idempotent?: boolean;
  error: BillwerkError;
  /** Retries already made for this request (0 after the first attempt). */
  retriesSoFar: number;
  maxRetries: number;
  maxRetryAfterMs: number;
}

export type RetryDecision =
  | { retry: false; rule: string }
  /** `delayMs` undefined means "use the exponential backoff". */
  | { retry: true; rule: string; delayMs: number | undefined };

interface RetryRule {
  rule: string;
  when: (c: RetryContext) => boolean;
  retry: boolean;
}

/** A 5xx worth another try: transient overload or a proxy hiccup. 501/505 would answer the same again. */
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

/** Methods HTTP defines as idempotent (RFC 9110 §9.2.2); POST and PATCH are not. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Replaying is harmless when the request is idempotent or provably never reached billwerk's API. */
const safeToReplay = (c: RetryContext) =>
  (c.idempotent ?? IDEMPOTENT_METHODS.has(c.method.toUpperCase())) || c.error.path === TOKEN_PATH;

const RULES: readonly RetryRule[] = [
  // The budget covers every kind of retry, 429s included, so a caller's latency stays bounded.
  { rule: 'retries exhausted', when: (c) => c.retriesSoFar >= c.maxRetries, retry: false },
  // A wait longer than the caller tolerates is better reported (with retryAfterMs) than slept through.
  {
    rule: 'rate limited for too long',
    when: (c) => c.error instanceof RateLimitedError && (c.error.retryAfterMs ?? 0) > c.maxRetryAfterMs,
    retry: false,
  },
  // 429 (and the legacy 403) means billwerk refused before processing: safe to replay for every method.
  { rule: 'rate limited', when: (c) => c.error instanceof RateLimitedError, retry: true },
  // From here on billwerk may have acted on the request, so a POST/PATCH replay could book twice.
  // A failed token fetch is the exception: the API request behind it was never sent.
  { rule: 'not safe to replay', when: (c) => !safeToReplay(c), retry: false },
  // Refused/reset connections and DNS blips are usually gone a moment later.
  { rule: 'network error', when: (c) => c.error instanceof NetworkError, retry: true },
  // A slow answer is often a busy instance; the next attempt may land on another one.
  { rule: 'timeout', when: (c) => c.error instanceof TimeoutError, retry: true },
  // Overload and gateway errors are transient; re-reading after a 500 costs little and often succeeds.
  {
    rule: 'transient upstream status',
    when: (c) => c.error instanceof UpstreamError && TRANSIENT_STATUS.has(c.error.status ?? 0),
    retry: true,
  },
  // Every other answer (4xx, 501, unreadable success) would be the same the second time.
  { rule: 'final answer', when: () => true, retry: false },
];

/** Applies the table above; the returned `rule` names the reason for logs and tests. */
export function decideRetry(context: RetryContext): RetryDecision {
  const match = RULES.find((r) => r.when(context)) ?? RULES[RULES.length - 1]!;
  if (!match.retry) return { retry: false, rule: match.rule };
  const delayMs = context.error instanceof RateLimitedError ? context.error.retryAfterMs : undefined;
  return { retry: true, rule: match.rule, delayMs };
}

/**
 * Exponential backoff for the n-th retry (1-based): base·2^(n-1), capped, then jittered into [½, 1]×
 * so clients that failed together do not come back together (as stripe-node does).
 */
export function backoffMs(retry: number, baseDelayMs: number, random: () => number): number {
  const ceiling = Math.min(baseDelayMs * 2 ** Math.max(0, retry - 1), MAX_BACKOFF_MS);
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

export interface RetryPolicy {
  method: string;
  idempotent?: boolean;
  maxRetries: number;
  baseDelayMs: number;
  maxRetryAfterMs: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  onRetry?: (info: { error: BillwerkError; rule: string; retry: number; delayMs: number }) => void;
}

/**
 * Runs `attempt` until it succeeds or the table says stop. Only BillwerkErrors are judged; anything else
 * (a caller's abort, a programming error) propagates at once.
 */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let retriesSoFar = 0; ; retriesSoFar++) {
    policy.signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof BillwerkError)) throw error;
      const decision = decideRetry({
        method: policy.method,
        idempotent: policy.idempotent,
        error,
        retriesSoFar,
        maxRetries: policy.maxRetries,
        maxRetryAfterMs: policy.maxRetryAfterMs,
      });
      if (!decision.retry) throw error;
      const delayMs = decision.delayMs ?? backoffMs(retriesSoFar + 1, policy.baseDelayMs, policy.random);
      policy.onRetry?.({ error, rule: decision.rule, retry: retriesSoFar + 1, delayMs });
      await policy.sleep(delayMs);
    }
  }
}
