// Two gateway processes sharing one real redis-server (REDIS_URL), both in front of one emulator: each
// event reaches every subscriber on either instance once and in per-contract order, a retry posted to
// the other instance is dropped, acknowledged events survive a crash of Redis (AOF, fsync always),
// webhooks are refused with 503 while Redis is down (queries still answered), and the clients of an
// instance killed with SIGKILL resume on the other with their cursor and miss nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { encodeEventCursor } from '../../src/events/cursor.js';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { postQuery } from '../helpers/http.js';
import { watchLog, type LogWatch } from '../helpers/log.js';
import { gatewayProcess, gatewayUrl, killAll, type Child } from '../helpers/process.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { collect, wsClient, type Collector } from '../helpers/ws.js';
import {
  expectOnceInOrder,
  FROM_START,
  post,
  probe,
  PROBES,
  CONTRACTS,
  type Probe,
} from '../helpers/probes.js';

let redis: RedisServer;
let emulator: Emulator;
let dataDir: string;
interface Instance {
  child: Child;
  url: string;
  /** Its JSON log (at info: "redis connections restored" says it is whole again after an outage). */
  log: LogWatch;
}
const gateways: Instance[] = [];
const clients: Client[] = [];

const client = (url: string) => {
  const made = wsClient(`${url}/graphql`);
  clients.push(made);
  return made;
};

beforeAll(async () => {
  redis = await startRedis();
  emulator = await createEmulator({
    clock: createClock({ mode: 'manual', start: new Date('2026-01-15T10:00:00Z') }),
  });
  dataDir = mkdtempSync(path.join(tmpdir(), 'scale-out-'));
  // A short lease: an instance killed while holding it delays enrichment this long.
  const env = { REDIS_URL: redis.url, REDIS_LEASE_MS: '600', LOG_LEVEL: 'info' };
  const started = ['a', 'b'].map((name) => {
    const child = gatewayProcess(emulator, path.join(dataDir, name), env);
    return { child, log: watchLog(child.process.stdout) };
  });
  for (const { child, log } of started) gateways.push({ child, log, url: await gatewayUrl(child) });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => Promise.resolve(c.dispose())));
  killAll();
  await emulator?.close();
  await redis?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Starts the stopped or killed redis-server again and resolves once both instances logged that every
 * one of their connections is back. Nothing reconnects before the server is up, so the next such line
 * of each instance is this outage's end; ioredis retries with a backoff of up to a second.
 */
async function restartRedis(): Promise<void> {
  const restored = gateways.map((g) => g.log.next('redis connections restored'));
  await redis.start();
  await Promise.all(restored);
}

describe('two gateway instances on one Redis', () => {
  it('delivers each webhook, posted alternately to both, once and in contract order to subscribers on either', async () => {
    const [a, b] = gateways as [Instance, Instance];
    const subscribers: Collector<Probe>[] = [a, a, b, b].map((g) =>
      collect<Probe>(client(g.url), PROBES, FROM_START),
    );
    for (let n = 1; n <= 30; n += 1) {
      const target = n % 2 === 0 ? a : b;
      expect((await post(target.url, probe(n))).status).toBe(202);
    }
    for (const subscriber of subscribers) {
      const items = await subscriber.waitFor(30);
      expectOnceInOrder(items, 30);
      // Cursors are the same on both instances: one publication order.
      expect(items.map((i) => i.billwerkEvents.cursor)).toEqual(
        subscribers[0]!.items.slice(0, 30).map((i) => i.billwerkEvents.cursor),
      );
    }
    // Nothing more arrives: a late duplicate would show up before this marker.
    const marker = { Event: 'ScaleProbe', ContractId: CONTRACTS[0], N: 31 };
    expect((await post(b.url, marker)).status).toBe(202);
    for (const subscriber of subscribers) expect(await subscriber.waitFor(31)).toHaveLength(31);
    for (const subscriber of subscribers) subscriber.dispose();
    // Both instances report the shared log: nothing pending, the same publication position.
    const positions = await Promise.all(
      [a, b].map(async (g) => {
        const text = await (await fetch(`${g.url}/metrics`)).text();
        expect(text).toMatch(/^gateway_event_log_retained 31$/m);
        return /^gateway_event_log_last_published_seq (\d+)$/m.exec(text)?.[1];
      }),
    );
    expect(positions).toEqual(['31', '31']);
    // A cursor from the future is refused on either instance with a clear error.
    const future = collect<Probe>(client(a.url), PROBES, { after: encodeEventCursor(10_000) });
    expect(JSON.stringify(await future.failed)).toMatch(
      /BAD_USER_INPUT.*not a cursor|not a cursor.*BAD_USER_INPUT/,
    );
  }, 60_000);

  it('drops a retry or a contract change posted to the other instance', async () => {
    const [a, b] = gateways as [Instance, Instance];
    const sub = collect<{ billwerkEvents: { payload: { Event: string } } }>(
      client(b.url),
      /* GraphQL */ `
        subscription Dupes($after: String) {
          billwerkEvents(types: ["ScaleDuplicate", "ContractChanged", "ScaleDone"], after: $after) {
            payload
          }
        }
      `,
      FROM_START,
    );
    const retried = { Event: 'ScaleDuplicate', ContractId: CONTRACTS[1], Reason: 'retried' };
    expect(await post(a.url, retried)).toEqual({ status: 202, body: { status: 'stored' } });
    expect(await post(b.url, retried, { 'x-retry-count': '1' })).toEqual({
      status: 200,
      body: { status: 'duplicate' },
    });
    const change = {
      Event: 'ContractChanged',
      ContractId: CONTRACTS[2],
      ContractChangeId: '65f000000000000000000c01',
      ContractChangeType: 'Upgrade',
    };
    expect((await post(b.url, change)).status).toBe(202);
    expect(await post(a.url, change)).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect((await post(a.url, { Event: 'ScaleDone', ContractId: CONTRACTS[2] })).status).toBe(202);
    const items = await sub.waitUntil((all) =>
      all.some((i) => i.billwerkEvents.payload.Event === 'ScaleDone'),
    );
    expect(items.map((i) => i.billwerkEvents.payload.Event)).toEqual([
      'ScaleDuplicate',
      'ContractChanged',
      'ScaleDone',
    ]);
    sub.dispose();
  }, 30_000);

  it('keeps every acknowledged event when redis-server crashes and restarts from its append-only file', async () => {
    const [a, b] = gateways as [Instance, Instance];
    const acknowledged: number[] = [];
    for (let n = 101; n <= 110; n += 1) {
      expect((await post(n % 2 === 0 ? a.url : b.url, probe(n))).status).toBe(202);
      acknowledged.push(n);
    }
    // SIGKILL: only what reached the append-only file survives. Some of these events may not even be
    // published yet; they must come out after the restart.
    await redis.kill();
    // Meanwhile a webhook is refused (never acknowledged: billwerk retries it).
    expect((await post(a.url, probe(111))).status).toBe(503);
    await restartRedis();
    // Both instances reconnected by themselves: billwerk's retry is acknowledged.
    expect((await post(a.url, probe(111))).status).toBe(202);
    acknowledged.push(111);
    const has = (items: Probe[], n: number) => items.some((i) => i.billwerkEvents.payload.N === n);
    for (const g of [a, b]) {
      const replay = collect<Probe>(client(g.url), PROBES, FROM_START);
      const items = await replay.waitUntil((all) => acknowledged.every((n) => has(all, n)));
      const ours = items.filter((i) => i.billwerkEvents.payload.N > 100);
      expect(ours.map((i) => i.billwerkEvents.payload.N).sort((x, y) => x - y)).toEqual(acknowledged);
      replay.dispose();
    }
  }, 60_000);

  it('answers webhooks 503 while Redis is down, keeps answering queries from billwerk, and is ready again once Redis is back', async () => {
    const [a] = gateways as [Instance];
    await redis.stop();
    try {
      expect(await post(a.url, probe(1000))).toMatchObject({ status: 503 });
      const query = await postQuery(
        `${a.url}/graphql`,
        '{ planGroups { name } }',
        {},
        { credential: TEST_ADMIN_KEY },
      );
      expect(query).toMatchObject({ status: 200, data: { planGroups: [{ name: 'Demo SaaS' }] }, errors: [] });
      const ready = await fetch(`${a.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { redis: 'failing' } });
    } finally {
      await restartRedis();
    }
    for (const g of gateways) expect((await fetch(`${g.url}/readyz`)).status).toBe(200);
  }, 30_000);

  it('lets the clients of the instance holding the lease, killed with SIGKILL, resume on the other with their cursor', async () => {
    // Both instances are back on Redis (the previous test ends so). The lease key is written when an
    // instance takes it: wait on Redis's keyspace event, not on a loop.
    const inspect = new Redis(redis.url);
    const listener = new Redis(redis.url);
    await inspect.config('SET', 'notify-keyspace-events', 'K$');
    await listener.subscribe('__keyspace@0__:bgg:events:lease');
    const written = new Promise<void>((resolve) => listener.once('message', () => resolve()));
    let holder = await inspect.get('bgg:events:lease');
    if (!holder) {
      await written;
      holder = await inspect.get('bgg:events:lease');
    }
    await Promise.all([inspect.quit(), listener.quit()]);
    expect(holder).toEqual(expect.any(String));
    // Instance names are <host>-<pid>-<random>: the one killed is the one enriching.
    const pid = Number(/^.+-(\d+)-[0-9a-f]+\//.exec(holder!)![1]);
    const a = gateways.find((g) => g.child.process.pid === pid)!;
    const b = gateways.find((g) => g !== a)!;
    expect(a).toBeDefined();
    // Where the client on A starts: right after a marker (publication order across contracts may differ
    // from the order posted, so the marker's own cursor is the one to take).
    const fromStart = collect<Probe>(client(b.url), PROBES, FROM_START);
    expect((await post(b.url, probe(2000))).status).toBe(202);
    const marked = await fromStart.waitUntil((all) => all.some((i) => i.billwerkEvents.payload.N === 2000));
    const start = marked.find((i) => i.billwerkEvents.payload.N === 2000)!.billwerkEvents.cursor;
    fromStart.dispose();
    const onA = collect<Probe>(client(a.url), PROBES, { after: start });
    for (let n = 2001; n <= 2010; n += 1) {
      expect((await post(n % 2 === 0 ? a.url : b.url, probe(n))).status).toBe(202);
    }
    await onA.waitFor(5);
    a.child.process.kill('SIGKILL');
    await onA.failed;
    const seen = onA.items.slice();
    for (let n = 2011; n <= 2020; n += 1) expect((await post(b.url, probe(n))).status).toBe(202);
    const resumed = collect<Probe>(client(b.url), PROBES, {
      after: seen.at(-1)!.billwerkEvents.cursor,
    });
    // Events of different contracts may be published in another order than posted (the new holder takes
    // over what the dead one had in hand): wait for the count, then check order per contract.
    const rest = await resumed.waitUntil((items) => seen.length + items.length >= 20);
    const all = [...seen, ...rest].map((i) => ({
      ...i,
      billwerkEvents: {
        ...i.billwerkEvents,
        payload: { ...i.billwerkEvents.payload, N: i.billwerkEvents.payload.N - 2000 },
      },
    }));
    expectOnceInOrder(all, 20);
    resumed.dispose();
  }, 60_000);
});
