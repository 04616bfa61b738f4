// Two gateway processes (`node dist/main.js`) on one Redis topology in front of one emulator, and the
// scale-out check every topology must pass: webhooks posted alternately to both reach the subscribers on
// either instance once and in per-contract order.
import { expect } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client } from 'graphql-ws';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { TEST_ADMIN_KEY } from './auth.js';
import { gatewayProcess, gatewayUrl, killAll, type Child } from './process.js';
import { postQuery } from './http.js';
import { expectOnceInOrder, FROM_START, post, probe, PROBES, type Probe } from './probes.js';
import { collect, wsClient, type Collector } from './ws.js';

export interface Instance {
  child: Child;
  url: string;
}

export interface TwoGateways {
  readonly instances: [Instance, Instance];
  /** A subscriber to the probes on `instance`, from the start of the log. */
  subscribe(instance: Instance, variables?: Record<string, unknown>): Collector<Probe>;
  close(): Promise<void>;
}

export async function startTwoGateways(env: Record<string, string>): Promise<TwoGateways> {
  const emulator: Emulator = await createEmulator({
    clock: createClock({ mode: 'manual', start: new Date('2026-01-15T10:00:00Z') }),
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'two-gateways-'));
  const clients: Client[] = [];
  // A short lease: an instance that loses Redis hands enrichment over this quickly.
  const children = ['a', 'b'].map((name) =>
    gatewayProcess(emulator, path.join(dataDir, name), { REDIS_LEASE_MS: '600', ...env }),
  );
  const instances = (await Promise.all(
    children.map(async (child) => ({ child, url: await gatewayUrl(child) })),
  )) as [Instance, Instance];
  return {
    instances,
    subscribe(instance, variables = FROM_START) {
      const client = wsClient(`${instance.url}/graphql`);
      clients.push(client);
      return collect<Probe>(client, PROBES, variables);
    },
    async close() {
      await Promise.all(clients.map((client) => Promise.resolve(client.dispose())));
      killAll();
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Posts probes `from`..`to` alternately to both instances; each must be answered 202. */
export async function postAlternately(gateways: TwoGateways, from: number, to: number): Promise<void> {
  const [a, b] = gateways.instances;
  for (let n = from; n <= to; n += 1) {
    expect((await post(n % 2 === 0 ? a.url : b.url, probe(n))).status).toBe(202);
  }
}

/** Two subscribers on each instance get probes 1..count once each, in per-contract order, with one cursor order. */
export async function expectFanOut(gateways: TwoGateways, count: number): Promise<void> {
  const [a, b] = gateways.instances;
  const subscribers = [a, a, b, b].map((instance) => gateways.subscribe(instance));
  await postAlternately(gateways, 1, count);
  for (const subscriber of subscribers) {
    const items = await subscriber.waitFor(count);
    expectOnceInOrder(items, count);
    expect(items.map((i) => i.billwerkEvents.cursor)).toEqual(
      subscribers[0]!.items.slice(0, count).map((i) => i.billwerkEvents.cursor),
    );
  }
  for (const subscriber of subscribers) subscriber.dispose();
}

/** A retry of a stored webhook, posted to the other instance, is answered as a duplicate. */
export async function expectDedupe(gateways: TwoGateways): Promise<void> {
  const [a, b] = gateways.instances;
  const retried = { Event: 'ScaleDuplicate', ContractId: probe(0).ContractId, Reason: 'retried' };
  expect(await post(a.url, retried)).toEqual({ status: 202, body: { status: 'stored' } });
  expect(await post(b.url, retried, { 'x-retry-count': '1' })).toEqual({
    status: 200,
    body: { status: 'duplicate' },
  });
}

/** The admin's `webhookEvents` page on `instance`: the number of events of `type` it lists. */
export async function listedEvents(instance: Instance, type: string): Promise<number> {
  const { data, errors } = await postQuery<{ webhookEvents: { edges: unknown[] } }>(
    `${instance.url}/graphql`,
    `{ webhookEvents(first: 100, type: "${type}") { edges { cursor } } }`,
    {},
    { credential: TEST_ADMIN_KEY },
  );
  expect(errors).toEqual([]);
  return data!.webhookEvents.edges.length;
}
