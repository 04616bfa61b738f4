// Two gateway processes on a redis-server that speaks TLS only (rediss:// and REDIS_TLS_CA_FILE naming
// the CA that signed its certificate): ready, and the scale-out guarantees hold over TLS.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, rmSync } from 'node:fs';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { createLogger } from '../../src/logger.js';
import { connectRedis } from '../../src/redis/connection.js';
import { authFromUrl } from '../../src/redis/topology.js';
import { makeTestCertificates, startCluster, startSentinels } from '../helpers/redis-topologies.js';
import { expectDedupe, expectFanOut, startTwoGateways, type TwoGateways } from '../helpers/two-gateways.js';

let certificates: Awaited<ReturnType<typeof makeTestCertificates>>;
let redis: RedisServer;
let gateways: TwoGateways;

beforeAll(async () => {
  certificates = await makeTestCertificates();
  redis = await startRedis({ tls: certificates });
  gateways = await startTwoGateways({ REDIS_URL: redis.url, REDIS_TLS_CA_FILE: certificates.ca });
}, 60_000);
afterAll(async () => {
  await gateways?.close();
  await redis?.close();
  if (certificates) rmSync(certificates.dir, { recursive: true, force: true });
});

describe('two gateway instances on Redis over TLS', () => {
  it('are ready, fan each webhook out once and in contract order, and drop retries', async () => {
    expect(redis.url).toMatch(/^rediss:/);
    for (const instance of gateways.instances) {
      const ready = await fetch(`${instance.url}/readyz`);
      expect(await ready.json()).toMatchObject({ checks: { redis: 'ok' } });
    }
    await expectFanOut(gateways, 10);
    await expectDedupe(gateways);
  }, 30_000);
});

describe('a Redis Cluster over TLS', () => {
  it('is usable through REDIS_CLUSTER_NODES with rediss:// and the CA file', async () => {
    const cluster = await startCluster(certificates);
    const connections = await connectRedis({
      topology: { kind: 'cluster', nodes: cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })) },
      auth: authFromUrl('rediss://ignored', readFileSync(certificates.ca, 'utf8')),
      keyPrefix: '{bgg}:',
      logger: createLogger({ level: 'silent' }),
    });
    try {
      expect(await connections.check()).toBe(true);
    } finally {
      await connections.close();
      await cluster.close();
    }
  }, 30_000);
});

describe('Redis with Sentinel over TLS', () => {
  it('finds the primary through Sentinels that speak TLS, and uses it over TLS', async () => {
    const sentinels = await startSentinels(redis, { tls: certificates, replicas: 0 });
    const connections = await connectRedis({
      topology: {
        kind: 'sentinel',
        sentinels: sentinels.ports.map((port) => ({ host: '127.0.0.1', port })),
        name: sentinels.name,
      },
      auth: authFromUrl('rediss://ignored', readFileSync(certificates.ca, 'utf8')),
      keyPrefix: 'bgg:',
      logger: createLogger({ level: 'silent' }),
    });
    try {
      expect(await connections.check()).toBe(true);
    } finally {
      await connections.close();
      await sentinels.close();
    }
  }, 30_000);
});
