// Two gateway processes on a 3-node Redis Cluster (REDIS_CLUSTER_NODES): every key of the deployment
// carries one hash tag, so the multi-key scripts run in one slot, and the scale-out guarantees hold as on
// a single server.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCluster, type RedisCluster } from '../helpers/redis-topologies.js';
import {
  expectDedupe,
  expectFanOut,
  listedEvents,
  startTwoGateways,
  type TwoGateways,
} from '../helpers/two-gateways.js';
import { command } from '../helpers/redis-topologies.js';
import { createRedisPartnerStore, type RedisPartnerStore } from '../../src/auth/redis-partner-store.js';
import { createLogger } from '../../src/logger.js';
import { connectRedis, type RedisConnections } from '../../src/redis/connection.js';
import { bid } from '../helpers/ids.js';

let cluster: RedisCluster;
let gateways: TwoGateways;

beforeAll(async () => {
  cluster = await startCluster();
  gateways = await startTwoGateways({ REDIS_CLUSTER_NODES: cluster.setting });
}, 60_000);
afterAll(async () => {
  await gateways?.close();
  await cluster?.close();
});

describe('two gateway instances on a 3-node Redis Cluster', () => {
  it('are ready, fan each webhook out once and in contract order, and drop retries', async () => {
    for (const instance of gateways.instances) {
      const ready = await fetch(`${instance.url}/readyz`);
      expect(await ready.json()).toMatchObject({ checks: { redis: 'ok' } });
      expect(ready.status).toBe(200);
    }
    await expectFanOut(gateways, 30);
    await expectDedupe(gateways);
    expect(await listedEvents(gateways.instances[1], 'ScaleProbe')).toBe(30);
  }, 60_000);

  it("shares partners' customers through the cluster's pub/sub", async () => {
    const opened: { connections: RedisConnections; store: RedisPartnerStore }[] = [];
    const instance = async () => {
      const connections = await connectRedis({
        topology: {
          kind: 'cluster',
          nodes: cluster.setting
            .split(',')
            .map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })),
        },
        auth: { tls: false },
        keyPrefix: '{pubsub}:',
        logger: createLogger({ level: 'silent' }),
      });
      const subscriber = connections.blocking('partners');
      const store = createRedisPartnerStore({
        redis: connections.client,
        subscriber,
        keyPrefix: '{pubsub}:',
      });
      opened.push({ connections, store });
      await store.ready;
      return { store, subscriber };
    };
    try {
      const [a, b] = [await instance(), await instance()];
      const customer = bid('65f0000000000000000000c1');
      // The message reaches b's store on its subscribed connection; a listener added after the store's
      // runs after it, so once it has run the store has taken the message in.
      const heard = once(b.subscriber, 'message');
      await a.store.add('acme', customer);
      await heard;
      expect(b.store.has('acme', customer)).toBe(true);
    } finally {
      for (const { connections, store } of opened) {
        await store.close();
        await connections.close();
      }
    }
  });

  it('keeps every key of the deployment in one hash slot', async () => {
    const owners = await Promise.all(
      cluster.nodes.map(async (node) => ((await command(node.port, 'KEYS', '*bgg*')) as string[]).length),
    );
    // One node holds all of them: the one serving the slot of `{bgg}`.
    expect(owners.filter((count) => count > 0)).toHaveLength(1);
    const slot = Number(await command(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', '{bgg}:events:inbox'));
    expect(slot).toBe(Number(await command(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', 'bgg')));
  });
});
