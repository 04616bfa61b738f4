import {
  AuthenticationError,
  type BillwerkError,
  ConflictError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  TimeoutError,
  UpstreamError,
  ValidationError,
} from '../../src/billwerk/errors.js';
import {
  backoffMs,
  decideRetry,
  MAX_BACKOFF_MS,
  withRetries,
  type RetryContext,
} from '../../src/billwerk/retry.js';

const at = { method: 'GET', path: '/contracts/1' };
const upstream = (status: number) => new UpstreamError('failed', { ...at, status });
const rateLimited = (retryAfterMs?: number) =>
  new RateLimitedError('slow down', { ...at, status: 429, retryAfterMs });

function decide(method: string, error: BillwerkError, extra: Partial<RetryContext> = {}) {
  return decideRetry({ method, error, retriesSoFar: 0, maxRetries: 2, maxRetryAfterMs: 30_000, ...extra });
}

describe('retry decision table', () => {
  it.each([
    // method, error, retried?
    ['GET', new NetworkError('down', at), true],
    ['GET', new TimeoutError('slow', at), true],
    ['GET', upstream(500), true],
    ['GET', upstream(502), true],
    ['GET', upstream(503), true],
    ['GET', upstream(504), true],
    ['GET', upstream(501), false],
    ['PUT', upstream(503), true],
    ['DELETE', new NetworkError('down', at), true],
    ['HEAD', new TimeoutError('slow', at), true],
    ['POST', new NetworkError('down', at), false],
    ['POST', new TimeoutError('slow', at), false],
    ['POST', upstream(500), false],
    ['POST', upstream(503), false],
    ['PATCH', upstream(502), false],
    ['POST', rateLimited(), true],
    ['PATCH', rateLimited(1000), true],
    ['GET', new NotFoundError('gone', { ...at, status: 404 }), false],
    ['GET', new ValidationError('bad', { ...at, status: 422 }), false],
    ['GET', new ConflictError('stale', { ...at, status: 412 }), false],
    ['GET', new AuthenticationError('who', { ...at, status: 401 }), false],
  ] as const)('%s after %s → retry %s', (method, error, retried) => {
    expect(decide(method, error).retry).toBe(retried);
  });

  it('lets a caller vouch for a POST, or forbid replaying a GET', () => {
    expect(decide('POST', upstream(503), { idempotent: true })).toMatchObject({ retry: true });
    expect(decide('GET', upstream(503), { idempotent: false })).toMatchObject({ retry: false });
  });

  it('stops when the budget is spent, 429s included', () => {
    expect(decide('GET', upstream(503), { retriesSoFar: 2 })).toEqual({
      retry: false,
      rule: 'retries exhausted',
    });
    expect(decide('POST', rateLimited(), { retriesSoFar: 2 }).retry).toBe(false);
    expect(decide('GET', upstream(503), { maxRetries: 0 }).retry).toBe(false);
  });

  it('honours Retry-After, but gives up when it is longer than maxRetryAfterMs', () => {
    expect(decide('POST', rateLimited(1500))).toEqual({ retry: true, rule: 'rate limited', delayMs: 1500 });
    expect(decide('POST', rateLimited())).toEqual({ retry: true, rule: 'rate limited', delayMs: undefined });
    expect(decide('GET', rateLimited(60_000))).toEqual({ retry: false, rule: 'rate limited for too long' });
  });

  it('replays any method whose token fetch failed, since the request itself was never sent', () => {
    const tokenDown = new NetworkError('down', { method: 'POST', path: '/oauth/token' });
    expect(decide('POST', tokenDown).retry).toBe(true);
    const badCredentials = new AuthenticationError('no', {
      method: 'POST',
      path: '/oauth/token',
      status: 401,
    });
    expect(decide('POST', badCredentials).retry).toBe(false);
  });
});

describe('backoffMs', () => {
  it('doubles per retry and jitters into [½, 1] of the step', () => {
    expect(backoffMs(1, 200, () => 0)).toBe(100);
    expect(backoffMs(1, 200, () => 1)).toBe(200);
    expect(backoffMs(2, 200, () => 1)).toBe(400);
    expect(backoffMs(3, 200, () => 0.5)).toBe(600);
  });

  it('is capped', () => {
    expect(backoffMs(30, 200, () => 1)).toBe(MAX_BACKOFF_MS);
  });
});

describe('withRetries', () => {
  const policy = (sleeps: number[]) => ({
    maxRetries: 2,
    baseDelayMs: 100,
    maxRetryAfterMs: 30_000,
    random: () => 1,
    sleep: (ms: number) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });

  it('retries a GET through transient failures with growing delays', async () => {
    const sleeps: number[] = [];
    const outcomes = [upstream(503), new NetworkError('down', at)];
    const result = await withRetries(
      () => {
        const next = outcomes.shift();
        return next ? Promise.reject(next) : Promise.resolve('ok');
      },
      { method: 'GET', ...policy(sleeps) },
    );
    expect(result).toBe('ok');
    expect(sleeps).toEqual([100, 200]);
  });

  it('sends a POST that timed out exactly once', async () => {
    let calls = 0;
    const attempt = () => {
      calls++;
      return Promise.reject(new TimeoutError('slow', { method: 'POST', path: '/orders' }));
    };
    await expect(withRetries(attempt, { method: 'POST', ...policy([]) })).rejects.toBeInstanceOf(
      TimeoutError,
    );
    expect(calls).toBe(1);
  });

  it('waits the Retry-After a 429 asked for', async () => {
    const sleeps: number[] = [];
    const outcomes = [rateLimited(1234)];
    await withRetries(
      () => {
        const next = outcomes.shift();
        return next ? Promise.reject(next) : Promise.resolve('ok');
      },
      { method: 'POST', ...policy(sleeps) },
    );
    expect(sleeps).toEqual([1234]);
  });

  it('passes non-billwerk errors through untouched', async () => {
    const bug = new RangeError('bug');
    await expect(withRetries(() => Promise.reject(bug), { method: 'GET', ...policy([]) })).rejects.toBe(bug);
  });
});
