// Per-caller rate limit for HTTP GraphQL operations and graphql-ws subscribe messages: a bucket per
// principal, in memory or shared through Redis, answering RATE_LIMITED with a retry hint.
// rate-limiter-flexible is CommonJS: its names come off the default export.
import rateLimiterFlexible, { type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import { GraphQLError } from 'graphql';
import { type Redis } from 'ioredis';
import { hasRole, type Principal } from '../auth/principal.js';
import { ErrorCode, GatewayError } from '../graphql/errors.js';

const { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis } = rateLimiterFlexible;

export interface RateLimiterOptions {
  /** Sustained operations per minute per caller (RATE_LIMIT_PER_MINUTE); 0 turns the limit off. */
  perMinute: number;
  /** Operations a caller may send at once on top of the sustained rate (RATE_LIMIT_BURST). */
  burst: number;
  /**
   * Share the buckets between gateway instances through this client. When Redis fails, each instance
   * falls back to its own in-memory buckets rather than refusing or admitting everything.
   * @default none: buckets in this process's memory
   */
  redis?: Redis;
  /** Prefix of the Redis keys. @default 'gateway:rate' */
  keyPrefix?: string;
}

/** Takes one operation from the caller's bucket: undefined when allowed, else the RATE_LIMITED refusal. */
export type RateLimit = (principal: Principal, address?: string) => Promise<GatewayError | undefined>;

/**
 * A token bucket built from rate-limiter-flexible's BurstyRateLimiter (its documented stand-in for one):
 * a steady limiter refilled every second (or every few seconds for rates under one a second) carries the
 * sustained rate, and a burst allowance refilled every minute absorbs spikes. Whole seconds because the
 * Redis store keeps expiries in seconds.
 *
 * Admin keys are exempt: they are the operator's own back ends, which serve many users through one key,
 * and a leaked admin key is contained by revoking it, not by slowing it down. Anonymous callers share no
 * bucket: each client address has its own.
 */
export function createRateLimit(options: RateLimiterOptions): RateLimit {
  if (options.perMinute <= 0) return () => Promise.resolve(undefined);
  const prefix = options.keyPrefix ?? 'gateway:rate';
  const steady =
    options.perMinute >= 60
      ? { points: Math.round(options.perMinute / 60), duration: 1 }
      : { points: 1, duration: Math.round(60 / options.perMinute) };
  const burst = { points: Math.max(options.burst, 0), duration: 60 };

  const limiter = (settings: { points: number; duration: number }, name: string): RateLimiterAbstract => {
    const keyPrefix = `${prefix}:${name}`;
    const memory = new RateLimiterMemory({ ...settings, keyPrefix });
    return options.redis
      ? new RateLimiterRedis({ ...settings, keyPrefix, storeClient: options.redis, insuranceLimiter: memory })
      : memory;
  };
  const buckets = new BurstyRateLimiter(limiter(steady, 'steady'), limiter(burst, 'burst'));

  return async (principal, address) => {
    if (hasRole(principal, 'admin')) return undefined;
    const key = principal.id === 'anonymous' ? `anonymous:${address ?? 'unknown'}` : principal.id;
    try {
      await buckets.consume(key);
      return undefined;
    } catch (refusal) {
      if (refusal instanceof Error) throw refusal;
      const retryAfterSeconds = Math.max(1, Math.ceil((refusal as RateLimiterRes).msBeforeNext / 1000));
      return new GatewayError(
        ErrorCode.RATE_LIMITED,
        `Too many operations; try again in ${retryAfterSeconds} s.`,
        { retryAfterSeconds },
      );
    }
  };
}

/** The HTTP form of a refusal: status 429 with a Retry-After header, as RFC 6585 describes. */
export function rateLimitedHttpError(refusal: GatewayError): GraphQLError {
  const seconds = refusal.extensions.retryAfterSeconds;
  const retryAfter = String(typeof seconds === 'number' ? seconds : 1);
  return new GraphQLError(refusal.message, {
    originalError: refusal,
    extensions: { http: { status: 429, headers: new Map([['retry-after', retryAfter]]) } },
  });
}
