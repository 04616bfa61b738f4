import { jest } from '@jest/globals';
import { createSharedCache } from '../../src/loaders/shared-cache.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('shared cache', () => {
  it('serves a second read from the cache until the TTL runs out', async () => {
    let now = 1_000_000; // lru-cache treats a start time of 0 as "no TTL"
    const cache = createSharedCache({ entityTtlMs: 1000, now: () => now });
    const load = jest.fn(() => Promise.resolve({ Id: 'c1' }));
    await cache.read('Contract', 'c1', load);
    await cache.read('Contract', 'c1', load);
    expect(load).toHaveBeenCalledTimes(1);
    now += 1500;
    await cache.read('Contract', 'c1', load);
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2 });
  });

  it('keeps catalogue data longer than entities', async () => {
    let now = 1_000_000; // lru-cache treats a start time of 0 as "no TTL"
    const cache = createSharedCache({ entityTtlMs: 1000, catalogueTtlMs: 60_000, now: () => now });
    const loadPlan = jest.fn(() => Promise.resolve({ Id: 'p' }));
    const loadCustomer = jest.fn(() => Promise.resolve({ Id: 'x' }));
    await cache.read('Plan', 'p', loadPlan);
    await cache.read('Customer', 'x', loadCustomer);
    now += 5000;
    await cache.read('Plan', 'p', loadPlan);
    await cache.read('Customer', 'x', loadCustomer);
    expect(loadPlan).toHaveBeenCalledTimes(1);
    expect(loadCustomer).toHaveBeenCalledTimes(2);
  });

  it('concurrent reads of one entity share a single call', async () => {
    const cache = createSharedCache();
    const gate = deferred<{ Id: string }>();
    const load = jest.fn(() => gate.promise);
    const reads = Array.from({ length: 10 }, () => cache.read('Customer', 'a', load));
    gate.resolve({ Id: 'a' });
    const values = await Promise.all(reads);
    expect(load).toHaveBeenCalledTimes(1);
    expect(new Set(values).size).toBe(1);
    expect(cache.stats.shared).toBe(9);
  });

  it('invalidation drops the entry, and a read that started before it does not store stale data', async () => {
    const cache = createSharedCache();
    await cache.read('Contract', 'c', () => Promise.resolve({ v: 1 }));
    cache.invalidate('Contract', 'c');
    const gate = deferred<{ v: number }>();
    const pending = cache.read('Contract', 'c', () => gate.promise);
    cache.invalidate('Contract', 'c'); // the change arrives while the read is in flight
    gate.resolve({ v: 2 });
    await expect(pending).resolves.toEqual({ v: 2 });
    const fresh = await cache.read('Contract', 'c', () => Promise.resolve({ v: 3 }));
    expect(fresh).toEqual({ v: 3 });
  });

  it('a read after an invalidation never joins a read from before it, nor is overwritten by it', async () => {
    const cache = createSharedCache();
    const before = deferred<{ v: string }>();
    const after = deferred<{ v: string }>();
    const stale = cache.read('Contract', 'c', () => before.promise);
    cache.invalidate('Contract', 'c'); // the webhook: the contract changed while the first read was out
    const load = jest.fn(() => after.promise);
    const fresh = cache.read('Contract', 'c', load);
    const joiner = cache.read('Contract', 'c', () => Promise.resolve({ v: 'unused' }));
    expect(load).toHaveBeenCalledTimes(1);
    after.resolve({ v: 'after the change' });
    await expect(fresh).resolves.toEqual({ v: 'after the change' });
    await expect(joiner).resolves.toEqual({ v: 'after the change' });
    // The older read answers last: its callers get what they asked for, the cache keeps the newer state.
    before.resolve({ v: 'before the change' });
    await expect(stale).resolves.toEqual({ v: 'before the change' });
    await expect(cache.read('Contract', 'c', () => Promise.resolve({ v: 'reloaded' }))).resolves.toEqual({
      v: 'after the change',
    });
  });

  it('invalidating a kind detaches its reads in flight too', async () => {
    const cache = createSharedCache();
    const gate = deferred<string[]>();
    const stale = cache.read('Catalogue', 'plans', () => gate.promise);
    cache.invalidateKind('Catalogue');
    const fresh = cache.read('Catalogue', 'plans', () => Promise.resolve(['new']));
    gate.resolve(['old']);
    await expect(fresh).resolves.toEqual(['new']);
    await stale;
    await expect(cache.read('Catalogue', 'plans', () => Promise.resolve(['again']))).resolves.toEqual([
      'new',
    ]);
  });

  it('a failed load is not cached', async () => {
    const cache = createSharedCache();
    await expect(cache.read('Invoice', 'i', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(cache.read('Invoice', 'i', () => Promise.resolve({ ok: true }))).resolves.toEqual({
      ok: true,
    });
  });

  it('a null answer (no such entity) is not cached', async () => {
    const cache = createSharedCache();
    await expect(cache.read('Customer', 'n', () => Promise.resolve(null))).resolves.toBeNull();
    await expect(cache.read('Customer', 'n', () => Promise.resolve({ n: 'created since' }))).resolves.toEqual(
      {
        n: 'created since',
      },
    );
  });

  it('a read since a mark takes what was read from then on, and reads again what is older', async () => {
    const cache = createSharedCache();
    await cache.read('Contract', 'read', () => Promise.resolve({ v: 'before the mark' }));
    cache.prime('Contract', 'primed', { v: 'from a list' });
    const before = deferred<{ v: string }>();
    const stale = cache.read('Contract', 'out', () => before.promise);
    const mark = cache.mark();
    const load = jest.fn((v: string) => Promise.resolve({ v }));
    await expect(cache.read('Contract', 'read', () => load('again'), mark)).resolves.toEqual({ v: 'again' });
    // A primed entry's read may have started before any mark.
    await expect(cache.read('Contract', 'primed', () => load('by id'), mark)).resolves.toEqual({
      v: 'by id',
    });
    await expect(cache.read('Contract', 'out', () => load('sent after'), mark)).resolves.toEqual({
      v: 'sent after',
    });
    before.resolve({ v: 'sent before' });
    await expect(stale).resolves.toEqual({ v: 'sent before' });
    // What was read since the mark serves later readers of that mark, and readers without one.
    await expect(cache.read('Contract', 'out', () => load('unused'), mark)).resolves.toEqual({
      v: 'sent after',
    });
    await expect(cache.read('Contract', 'read', () => load('unused'))).resolves.toEqual({ v: 'again' });
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('is bounded: the least recently used entries go first', async () => {
    const cache = createSharedCache({ maxEntries: 2 });
    await cache.read('Customer', 'a', () => Promise.resolve({ n: 'a' }));
    await cache.read('Customer', 'b', () => Promise.resolve({ n: 'b' }));
    await cache.read('Customer', 'c', () => Promise.resolve({ n: 'c' }));
    const load = jest.fn(() => Promise.resolve({ n: 'a2' }));
    await cache.read('Customer', 'a', load);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('invalidateKind drops every entry of that kind only', async () => {
    const cache = createSharedCache();
    await cache.read('Catalogue', 'plans', () => Promise.resolve([]));
    await cache.read('Customer', 'x', () => Promise.resolve({}));
    cache.invalidateKind('Catalogue');
    const catalogue = jest.fn(() => Promise.resolve([]));
    const customer = jest.fn(() => Promise.resolve({}));
    await cache.read('Catalogue', 'plans', catalogue);
    await cache.read('Customer', 'x', customer);
    expect(catalogue).toHaveBeenCalledTimes(1);
    expect(customer).not.toHaveBeenCalled();
  });
});
