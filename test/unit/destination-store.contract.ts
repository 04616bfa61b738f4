// The DestinationStore contract: one suite, run against the SQLite store (destinations.test.ts) and the
// Redis store (test/integration/destination-store-redis.test.ts): records parsed back, idempotent
// enqueue moving the cursor, open deliveries in order, outcomes, paging, redelivery and pruning.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  type DeliveryRecord,
  type DestinationRecord,
  type DestinationStore,
} from '../../src/destinations/destination.js';

export interface DestinationStoreFactory {
  open(): Promise<DestinationStore>;
  cleanup(): Promise<void>;
}

export const destinationRecord = (
  id: string,
  overrides: Partial<DestinationRecord> = {},
): DestinationRecord => ({
  id,
  ownerId: 'key:shop',
  url: 'https://hooks.example.com/billwerk',
  description: null,
  query: 'subscription { billwerkEvents { cursor } }',
  variables: null,
  secrets: [{ secret: 'whsec_c2VjcmV0' }],
  createdAt: 1_000,
  version: 1,
  paused: false,
  disabledAt: null,
  disabledReason: null,
  cursorSeq: 0,
  failingSince: null,
  lastError: null,
  lastErrorAt: null,
  lastDeliveredAt: null,
  ...overrides,
});

export const deliveryRecord = (
  destinationId: string,
  seq: number,
  orderKey = 'contract:a',
): DeliveryRecord => ({
  destinationId,
  seq,
  orderKey,
  state: 'pending',
  attempts: 0,
  nextAttemptAt: 5_000,
  firstAttemptAt: null,
  lastStatus: null,
  lastError: null,
  createdAt: 5_000 + seq,
  deliveredAt: null,
});

const delivered = {
  delivery: {
    state: 'delivered' as const,
    attempts: 1,
    nextAttemptAt: null,
    firstAttemptAt: 6_000,
    lastStatus: 200,
    lastError: null,
    deliveredAt: 6_000,
  },
  destination: { lastDeliveredAt: 6_000, failingSince: null },
};

export function describeDestinationStoreContract(name: string, factory: DestinationStoreFactory): void {
  describe(`${name} destination store (contract)`, () => {
    let store: DestinationStore;
    beforeEach(async () => {
      store = await factory.open();
    });
    afterEach(async () => {
      await store.close();
      await factory.cleanup();
    });

    it('keeps destinations, oldest first, and applies patches to existing ones only', async () => {
      await store.create(destinationRecord('d2', { createdAt: 2_000 }));
      await store.create(destinationRecord('d1', { variables: { types: ['X'] } }));
      expect((await store.list()).map((d) => d.id)).toEqual(['d1', 'd2']);
      expect(await store.get('d1')).toEqual(destinationRecord('d1', { variables: { types: ['X'] } }));
      expect(await store.update('d1', { paused: true, version: 2 })).toMatchObject({
        paused: true,
        version: 2,
      });
      expect(await store.update('nope', { paused: true })).toBeUndefined();
      expect(await store.get('nope')).toBeUndefined();
    });

    it('takes an event in once, moves the cursor, and lists open deliveries in sequence order', async () => {
      await store.create(destinationRecord('d'));
      await store.enqueue(deliveryRecord('d', 7), 'body-7');
      await store.enqueue(deliveryRecord('d', 3, 'contract:b'), 'body-3');
      await store.enqueue({ ...deliveryRecord('d', 7), attempts: 9 }, 'other body');
      expect((await store.pending('d', 10)).map((d) => [d.seq, d.attempts])).toEqual([
        [3, 0],
        [7, 0],
      ]);
      expect(await store.body('d', 7)).toBe('body-7');
      expect((await store.get('d'))?.cursorSeq).toBe(7);
      expect(await store.backlog('d')).toBe(2);
      // A destination deleted meanwhile takes nothing in.
      await store.enqueue(deliveryRecord('gone', 1), 'x');
      expect(await store.pending('gone', 10)).toEqual([]);
    });

    it('records outcomes, pages by state, finds an event’s deliveries and redelivers a range', async () => {
      await store.create(destinationRecord('d'));
      await store.create(destinationRecord('e', { createdAt: 2_000 }));
      for (const seq of [1, 2, 3]) await store.enqueue(deliveryRecord('d', seq), `b${seq}`);
      await store.enqueue(deliveryRecord('e', 2), 'e2');
      await store.record('d', 1, delivered);
      await store.record('d', 2, {
        delivery: {
          ...delivered.delivery,
          state: 'dead',
          lastStatus: 500,
          lastError: 'HTTP 500',
          deliveredAt: null,
        },
        destination: { lastError: 'HTTP 500', lastErrorAt: 6_000, failingSince: 6_000 },
      });
      expect(await store.get('d')).toMatchObject({
        lastError: 'HTTP 500',
        lastDeliveredAt: 6_000,
        failingSince: 6_000,
      });
      expect((await store.pending('d', 10)).map((d) => d.seq)).toEqual([3]);
      expect((await store.deliveries('d', { first: 10, state: 'dead' })).map((d) => d.seq)).toEqual([2]);
      expect((await store.deliveries('d', { first: 1, afterSeq: 1 })).map((d) => d.seq)).toEqual([2]);
      expect((await store.deliveriesOfEvent(2)).map((d) => d.destinationId).sort()).toEqual(['d', 'e']);
      expect(await store.redeliver('d', 1, 2, 9_000)).toBe(2);
      expect(await store.pending('d', 10)).toMatchObject([
        { seq: 1, state: 'pending', nextAttemptAt: 9_000, firstAttemptAt: null, attempts: 1 },
        { seq: 2, state: 'pending', nextAttemptAt: 9_000 },
        { seq: 3, state: 'pending' },
      ]);
    });

    it('prunes closed deliveries older than the retention, and deletes a destination with its deliveries', async () => {
      await store.create(destinationRecord('d'));
      for (const seq of [1, 2, 3]) await store.enqueue(deliveryRecord('d', seq), `b${seq}`);
      await store.record('d', 1, delivered);
      await store.record('d', 3, delivered);
      // Seq 3 is too young; seq 2 is open.
      expect(await store.prune(5_003)).toBe(1);
      expect((await store.deliveries('d', { first: 10 })).map((d) => d.seq)).toEqual([2, 3]);
      expect(await store.delete('d')).toBe(true);
      expect(await store.delete('d')).toBe(false);
      expect(await store.deliveriesOfEvent(2)).toEqual([]);
      expect(await store.backlog('d')).toBe(0);
    });
  });
}
