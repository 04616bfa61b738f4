// A mutation while Redis is down: the idempotency store cannot be reached, so nothing is written to billwerk
// and the caller gets a retryable UPSTREAM_UNAVAILABLE; the same key works once Redis is back. The outage
// is logged once, not once per mutation.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { errorOf, newKey, signupNew } from '../helpers/mutations.js';
import { startStack, type Stack } from '../helpers/stack.js';

let redis: RedisServer;
let stack: Stack;
const lines: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } });
  stack = await startStack({ env: { REDIS_URL: redis.url }, registerWebhook: false, logger });
});
afterAll(async () => {
  await stack?.close();
  await redis?.close();
});

const writes = () => stack.emulator.requests.count({ method: 'POST', path: /^\/api\/v1\// });

/**
 * Resolves once the gateway reports Redis usable again (its connections reconnect with a backoff of up to
 * a second); each check is one /readyz request, bounded by a deadline.
 */
async function readyAgain(deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while ((await fetch(`${stack.gateway.url}/readyz`)).status !== 200) {
    if (Date.now() > until) throw new Error(`Redis not usable again within ${deadlineMs} ms`);
  }
}

const logged = (text: string) =>
  lines.filter((line) => (JSON.parse(line) as { msg?: string }).msg?.includes(text));

describe('an idempotent mutation while Redis is down', () => {
  it('answers UPSTREAM_UNAVAILABLE with retryable: true, writes nothing to billwerk, and succeeds with the same key once Redis is back', async () => {
    const key = newKey('outage');
    stack.emulator.requests.reset();
    await redis.stop();
    try {
      for (const attempt of [1, 2]) {
        const error = await errorOf(signupNew(stack.sdk, { idempotencyKey: key }));
        expect({ attempt, ...error.extensions }).toEqual({
          attempt,
          code: 'UPSTREAM_UNAVAILABLE',
          retryable: true,
        });
        expect(error.message).not.toMatch(/redis|ECONNREFUSED|127\.0\.0\.1/i);
      }
      expect(writes()).toBe(0);
      expect(logged('idempotency store is not reachable')).toHaveLength(1);
    } finally {
      await redis.start();
      await readyAgain();
    }
    const done = await signupNew(stack.sdk, { idempotencyKey: key });
    expect(done.replayed).toBe(false);
    expect(writes()).toBeGreaterThan(0);
    expect(logged('idempotency store is reachable again')).toHaveLength(1);
  });
});
