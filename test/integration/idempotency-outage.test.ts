// A mutation while Redis is down: the idempotency store cannot be reached, so nothing is written to billwerk
// and the caller gets a retryable UPSTREAM_UNAVAILABLE; the same key works once Redis is back. The outage
// is logged once, not once per mutation.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { captureLog } from '../helpers/log.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { errorOf, newKey, signupNew } from '../helpers/mutations.js';
import { startStack, type Stack } from '../helpers/stack.js';

let redis: RedisServer;
let stack: Stack;
const log = captureLog('info');

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({ env: { REDIS_URL: redis.url }, registerWebhook: false, logger: log.logger });
});
afterAll(async () => {
  await stack?.close();
  await redis?.close();
});

const writes = () => stack.emulator.requests.count({ method: 'POST', path: /^\/api\/v1\// });

const logged = (text: string) => log.messages().filter((msg) => msg.includes(text));

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
      // Nothing can reconnect before Redis is started: the next such line is this outage's end. The
      // gateway logs it once every connection is back (they retry with a backoff of up to a second).
      const restored = log.next('redis connections restored');
      await redis.start();
      await restored;
    }
    expect((await fetch(`${stack.gateway.url}/readyz`)).status).toBe(200);
    const done = await signupNew(stack.sdk, { idempotencyKey: key });
    expect(done.replayed).toBe(false);
    expect(writes()).toBeGreaterThan(0);
    expect(logged('idempotency store is reachable again')).toHaveLength(1);
  });
});
