// Two gateway processes on a primary, a replica and three Sentinels (REDIS_SENTINELS), with webhooks
// waiting for the replica (REDIS_WAIT_REPLICAS=1): a forced failover while webhooks arrive at about 200/s,
// and the primary killed with SIGKILL right after it acknowledged, lose nothing. Every webhook answered
// 2xx is delivered once, in per-contract order, and the subscribers on both instances carry on.
// It found two faults, both fixed: tails read a publication the failover then lost, and the new primary
// gave its number to another event (now tails read through marks set after WAIT, redis-event-log.ts);
// and an instance that lost the lease while WAIT failed could, holding it again, publish a contract's
// newer event before the older one (now it gives up what it read under the lost lease, redis-relay.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { command, startReplica, startSentinels, until, type Sentinels } from '../helpers/redis-topologies.js';
import { CONTRACTS, expectOnceInOrder, post, probe, type Probe } from '../helpers/probes.js';
import { startTwoGateways, type TwoGateways } from '../helpers/two-gateways.js';
import { type Collector } from '../helpers/ws.js';

let servers: RedisServer[];
let sentinels: Sentinels;
let gateways: TwoGateways;
let subscribers: Collector<Probe>[];

beforeAll(async () => {
  // Replicas sync at once (not after Redis's default 5 s wait for more), also the old primary rejoining.
  const args = ['--repl-diskless-sync-delay', '0'];
  const primary = await startRedis({ args });
  servers = [primary, await startReplica(primary, args)];
  sentinels = await startSentinels(primary);
  gateways = await startTwoGateways({
    REDIS_SENTINELS: sentinels.setting,
    REDIS_SENTINEL_NAME: sentinels.name,
    REDIS_WAIT_REPLICAS: '1',
    REDIS_WAIT_TIMEOUT_MS: '500',
  });
}, 60_000);
afterAll(async () => {
  await gateways?.close();
  await sentinels?.close();
  await Promise.all((servers ?? []).map((server) => server.close()));
});

/**
 * Posts probes `from`..`to` at about `perSecond`, alternating instances, one loop per contract so each
 * contract's probes go in order; a probe answered otherwise than 2xx is posted again, as billwerk retries.
 * `onAcknowledged` sees each probe once it was answered 2xx.
 */
async function load(from: number, to: number, perSecond: number, onAcknowledged: (n: number) => void) {
  const started = Date.now();
  let sent = 0;
  const paced = () => {
    const at = started + (sent++ * 1000) / perSecond;
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
  };
  const [a, b] = gateways.instances;
  let refused = 0;
  await Promise.all(
    CONTRACTS.map(async (_contract, c) => {
      for (let n = from; n <= to; n += 1) {
        if (n % 3 !== c) continue;
        for (let attempt = 0; ; attempt += 1) {
          await paced();
          const target = (n + attempt) % 2 === 0 ? a : b;
          const headers: Record<string, string> = attempt > 0 ? { 'x-retry-count': String(attempt) } : {};
          const { status } = await post(target.url, probe(n), headers);
          if (status >= 200 && status < 300) break;
          expect(status).toBe(503);
          refused += 1;
        }
        onAcknowledged(n);
      }
    }),
  );
  return refused;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('two gateway instances on Redis with Sentinel', () => {
  it('are ready, and lose nothing through a forced failover under load', async () => {
    for (const instance of gateways.instances) {
      expect(await (await fetch(`${instance.url}/readyz`)).json()).toMatchObject({ checks: { redis: 'ok' } });
    }
    const [a, b] = gateways.instances;
    subscribers = [gateways.subscribe(a), gateways.subscribe(b)];
    const before = await sentinels.primaryPort();
    let failover: Promise<unknown> | undefined;
    let acknowledged = 0;
    await load(1, 300, 200, () => {
      acknowledged += 1;
      if (acknowledged === 60)
        failover = command(sentinels.ports[0]!, 'SENTINEL', 'FAILOVER', sentinels.name);
    });
    expect(await failover).toBe('OK');
    await until('Sentinel to name the new primary', async () => (await sentinels.primaryPort()) !== before);
    // Webhooks flow again through the new primary (once the old one replicates from it: WAIT 1).
    await load(301, 330, 200, () => undefined);
    for (const subscriber of subscribers) expectOnceInOrder(await subscriber.waitFor(330), 330);
  }, 60_000);

  it('keeps what it acknowledged when the primary is killed with SIGKILL right after', async () => {
    const port = await sentinels.primaryPort();
    const doomed = servers.find((server) => server.port === port)!;
    for (let n = 331; n <= 345; n += 1) {
      expect((await post(gateways.instances[n % 2]!.url, probe(n))).status).toBe(202);
    }
    await doomed.kill();
    await until('Sentinel to promote the replica', async () => (await sentinels.primaryPort()) !== port);
    // Back as a replica of the new primary (Sentinel reconfigures it), so WAIT 1 is answered again.
    await doomed.start();
    await until('the old primary to replicate from the new one', async () =>
      String(await command(doomed.port, 'INFO', 'replication')).includes('master_link_status:up'),
    );
    await load(346, 360, 200, () => undefined);
    for (const subscriber of subscribers) expectOnceInOrder(await subscriber.waitFor(360), range(1, 360));
    // A subscriber arriving now replays the whole log from the new primary.
    const late = gateways.subscribe(gateways.instances[1]);
    expectOnceInOrder(await late.waitFor(360), 360);
  }, 60_000);
});
