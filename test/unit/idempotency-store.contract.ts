// The IdempotencyStore contract: one suite, run against the SQLite store (idempotency-store.test.ts)
// and the Redis store (test/integration/idempotency-store-redis.test.ts). Claims, outcomes, conflicts,
// expiry on an injected clock, leases, checkpoints of interrupted attempts, and waiters.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LostKeyError, type Claim, type IdempotencyStore } from '../../src/idempotency/store.js';

export interface IdempotencyStoreFactory {
  open(options: { now: () => number; leaseMs: number }): Promise<IdempotencyStore>;
  cleanup(): Promise<void>;
}

const HOUR = 60 * 60 * 1000;
export const request = (key: string, fingerprint = 'fp-1', scope = 'anonymous') => ({
  scope,
  key,
  operation: 'signup',
  fingerprint,
});

export function acquired(claim: Claim) {
  if (claim.kind !== 'acquired') throw new Error(`expected the key to be acquired, got ${claim.kind}`);
  return claim;
}

export function describeIdempotencyStoreContract(name: string, factory: IdempotencyStoreFactory): void {
  describe(`${name} idempotency store (contract)`, () => {
    let now: number;
    let store: IdempotencyStore;
    beforeEach(async () => {
      now = Date.parse('2026-01-15T10:00:00Z');
      store = await factory.open({ now: () => now, leaseMs: 60_000 });
    });
    afterEach(async () => {
      await store.close();
      await factory.cleanup();
    });

    it('gives a new key to one attempt, then replays its outcome to every repeat', async () => {
      const first = acquired(await store.claim(request('k1')));
      expect(first).toMatchObject({ resumed: false, checkpoints: {} });
      expect(await store.claim(request('k1'))).toEqual({ kind: 'running' });
      await store.complete('anonymous', 'k1', first.token, { ok: true, value: { Id: 'c1' } });
      expect(await store.claim(request('k1'))).toEqual({
        kind: 'done',
        outcome: { ok: true, value: { Id: 'c1' } },
      });
      expect(await store.claim(request('k1'))).toEqual({
        kind: 'done',
        outcome: { ok: true, value: { Id: 'c1' } },
      });
    });

    it('stores a refusal as an outcome too', async () => {
      const { token } = acquired(await store.claim(request('k1')));
      const error = { code: 'BAD_USER_INPUT', message: 'billwerk rejected the input.', extensions: { a: 1 } };
      await store.complete('anonymous', 'k1', token, { ok: false, error });
      expect(await store.claim(request('k1'))).toEqual({ kind: 'done', outcome: { ok: false, error } });
    });

    it('reports the same key with another input as a mismatch, naming the first operation', async () => {
      const { token } = acquired(await store.claim(request('k1', 'fp-1')));
      expect(await store.claim(request('k1', 'fp-2'))).toEqual({ kind: 'mismatch', operation: 'signup' });
      await store.complete('anonymous', 'k1', token, { ok: true, value: null });
      expect(await store.claim(request('k1', 'fp-2'))).toEqual({ kind: 'mismatch', operation: 'signup' });
    });

    it('scopes keys per caller', async () => {
      acquired(await store.claim(request('k1', 'fp-1', 'alice')));
      acquired(await store.claim(request('k1', 'fp-2', 'bob')));
    });

    it('keeps an outcome for its TTL after it was stored, then forgets the key', async () => {
      const { token } = acquired(await store.claim(request('k1')));
      now += 2 * HOUR;
      await store.complete('anonymous', 'k1', token, { ok: true, value: 1 });
      now += 24 * HOUR - 1;
      expect((await store.claim(request('k1', 'other'))).kind).toBe('mismatch');
      now += 1;
      expect(acquired(await store.claim(request('k1', 'other'))).resumed).toBe(false);
    });

    it('purges expired keys', async () => {
      for (const key of ['a', 'b']) {
        const { token } = acquired(await store.claim(request(key)));
        await store.complete('anonymous', key, token, { ok: true, value: key });
      }
      expect(await store.purgeExpired()).toBe(0);
      now += 25 * HOUR;
      expect(await store.purgeExpired()).toBe(2);
      expect(await store.purgeExpired()).toBe(0);
      expect(acquired(await store.claim(request('a', 'other'))).resumed).toBe(false);
    });

    it('lets a retry resume a released attempt from its checkpoints', async () => {
      const first = acquired(await store.claim(request('k1')));
      await store.checkpoint('anonymous', 'k1', first.token, 'order', { Id: 'o1' });
      await store.release('anonymous', 'k1', first.token);
      const retry = acquired(await store.claim(request('k1')));
      expect(retry).toMatchObject({ resumed: true, checkpoints: { order: { Id: 'o1' } } });
      expect((await store.claim(request('k1', 'other'))).kind).toBe('mismatch');
    });

    it('forgets a discarded key, so it can carry a corrected input', async () => {
      const { token } = acquired(await store.claim(request('k1', 'fp-1')));
      await store.discard('anonymous', 'k1', token);
      expect(acquired(await store.claim(request('k1', 'fp-2'))).resumed).toBe(false);
    });

    it('hands a key whose lease ran out to a new attempt, and refuses the old attempt its writes', async () => {
      const first = acquired(await store.claim(request('k1')));
      await store.checkpoint('anonymous', 'k1', first.token, 'order', { Id: 'o1' });
      now += 59_999;
      expect(await store.claim(request('k1'))).toEqual({ kind: 'running' });
      now += 1;
      const second = acquired(await store.claim(request('k1')));
      expect(second).toMatchObject({ resumed: true, checkpoints: { order: { Id: 'o1' } } });
      await expect(store.checkpoint('anonymous', 'k1', first.token, 'commit', {})).rejects.toBeInstanceOf(
        LostKeyError,
      );
      await expect(
        store.complete('anonymous', 'k1', first.token, { ok: true, value: 1 }),
      ).rejects.toBeInstanceOf(LostKeyError);
      await store.complete('anonymous', 'k1', second.token, { ok: true, value: 2 });
      expect(await store.claim(request('k1'))).toEqual({ kind: 'done', outcome: { ok: true, value: 2 } });
    });

    it('wakes every waiter when the attempt they wait for stores its outcome', async () => {
      const { token } = acquired(await store.claim(request('k1')));
      const waiters = [
        store.waitForSettle('anonymous', 'k1', 10_000),
        store.waitForSettle('anonymous', 'k1', 10_000),
      ];
      const other = store.waitForSettle('anonymous', 'k2-not-running', 10_000);
      expect(await other).toBe(true);
      await store.complete('anonymous', 'k1', token, { ok: true, value: 'done' });
      expect(await Promise.all(waiters)).toEqual([true, true]);
      expect(await store.claim(request('k1'))).toMatchObject({ kind: 'done' });
    });

    it('wakes waiters when the attempt is released, so one of them can resume it', async () => {
      const { token } = acquired(await store.claim(request('k1')));
      const waiter = store.waitForSettle('anonymous', 'k1', 10_000);
      await store.release('anonymous', 'k1', token);
      expect(await waiter).toBe(true);
      expect(acquired(await store.claim(request('k1'))).resumed).toBe(true);
    });

    it('gives up waiting after the timeout while the attempt still runs', async () => {
      acquired(await store.claim(request('k1')));
      expect(await store.waitForSettle('anonymous', 'k1', 20)).toBe(false);
    });
  });
}
