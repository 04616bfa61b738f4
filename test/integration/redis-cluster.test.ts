// Two gateway processes on a 3-node Redis Cluster (REDIS_CLUSTER_NODES): every key of the deployment
// carries one hash tag, so the multi-key scripts run in one slot, and the scale-out guarantees hold as on
// a single server.
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

  it('keeps every key of the deployment in one hash slot', async () => {
    const owners = await Promise.all(
      cluster.nodes.map(async (node) => Number(await command(node.port, 'DBSIZE'))),
    );
    // One node holds all of them: the one serving the slot of `{bgg}`.
    expect(owners.filter((count) => count > 0)).toHaveLength(1);
    const slot = Number(await command(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', '{bgg}:events:inbox'));
    expect(slot).toBe(Number(await command(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', 'bgg')));
  });
});
