// Scale-out benchmark: fan-out latency (webhook posted → frame received, p50/p99) and delivered messages
// per CPU-second of the gateways, with one gateway process versus two sharing one Redis, at the same total
// subscriber count. Gateways run as deployments run them (`node dist/main.js`, REDIS_URL set in both
// cases, so only the number of instances differs); redis-server runs with AOF and fsync always.
//
//   npm run bench:scale-out -- [--subscribers 2000] [--events 200] [--interval-ms 20]
//     [--redis-server /usr/bin/redis-server]
//
// Writes bench/results/scale-out.json and its section of docs/benchmarks.md (render.ts). Run it on a quiet machine: the subscribers'
// client sockets live in this process and compete with the gateways for the same cores.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator } from '../../src/emulator/emulator.js';
import { encodeEventCursor } from '../../src/events/cursor.js';
import { readResult, resultsFile, repoRoot, writeJson } from '../lib/docs.js';
import { describeMachine } from '../lib/machine.js';
import { startRedis } from '../lib/redis.js';
import { summarize, round2 } from '../lib/stats.js';
import { subscriptionsResultSchema } from '../subscriptions/result.js';
import { writeScaleOutSection } from './render.js';
import { scaleOutResultSchema, type ScaleOutPhase, type ScaleOutResult } from './result.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '2000' },
    events: { type: 'string', default: '200' },
    'interval-ms': { type: 'string', default: '20' },
    'redis-server': { type: 'string', default: '/usr/bin/redis-server' },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const EVENTS = Number(values.events);
const INTERVAL_MS = Number(values['interval-ms']);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
const WEBHOOK = { user: 'billwerk', password: 'bench-webhook-secret' };
const CONTRACTS = Array.from({ length: 10 }, (_, i) => `65f0000000000000000b${String(i).padStart(4, '0')}`);

const QUERY = /* GraphQL */ `
  subscription Bench($after: String) {
    billwerkEvents(types: ["BenchEvent"], after: $after) {
      cursor
      payload
    }
  }
`;

interface Gateway {
  process: ChildProcess;
  url: string;
}

/** CPU seconds (user + system) a process used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function startGateway(env: Record<string, string>): Promise<Gateway> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/main.js')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(output);
      if (match) resolve({ process: child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${output}`)));
  });
}

async function post(url: string, body: unknown): Promise<void> {
  const response = await fetch(`${url}/webhooks/billwerk`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`,
    },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
}

async function phase(instances: number): Promise<ScaleOutPhase> {
  const redis = await startRedis(values['redis-server']);
  const emulator = await createEmulator({
    clock: createClock({ mode: 'manual', start: new Date('2026-01-15T10:00:00Z') }),
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-scale-'));
  const gateways: Gateway[] = [];
  const clients: Client[] = [];
  try {
    for (let i = 0; i < instances; i += 1) {
      gateways.push(
        await startGateway({
          PORT: '0',
          DATA_DIR: path.join(dataDir, String(i)),
          GATEWAY_ADMIN_KEY: ADMIN_KEY,
          BILLWERK_BASE_URL: emulator.url,
          BILLWERK_CLIENT_ID: emulator.credentials.clientId,
          BILLWERK_CLIENT_SECRET: emulator.credentials.clientSecret,
          WEBHOOK_BASIC_AUTH: `${WEBHOOK.user}:${WEBHOOK.password}`,
          REDIS_URL: redis.url,
          RATE_LIMIT_PER_MINUTE: '0',
          MAX_SUBSCRIPTIONS_PER_CONNECTION: '1000',
        }),
      );
    }
    const postedAt = new Map<number, number>();
    const latencies: number[] = [];
    let delivered = 0;
    let warm = 0;
    let allWarm!: () => void;
    const warmed = new Promise<void>((resolve) => (allWarm = resolve));
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const expected = SUBSCRIBERS * EVENTS;
    // One socket per subscriber, spread evenly; each replays from the start, so none misses the warm-up.
    for (let s = 0; s < SUBSCRIBERS; s += 1) {
      const gateway = gateways[s % instances]!;
      const client = createClient({
        url: `${gateway.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${ADMIN_KEY}` },
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe<{ billwerkEvents: { payload: { N: number } } }>(
        { query: QUERY, variables: { after: encodeEventCursor(0) } },
        {
          next: ({ data }) => {
            const n = data!.billwerkEvents.payload.N;
            if (n === 0) {
              warm += 1;
              if (warm === SUBSCRIBERS) allWarm();
              return;
            }
            latencies.push(performance.now() - postedAt.get(n)!);
            delivered += 1;
            if (delivered === expected) allDone();
          },
          error: (error) => console.error('subscription failed', error),
          complete: () => undefined,
        },
      );
    }
    await post(gateways[0]!.url, { Event: 'BenchEvent', ContractId: CONTRACTS[0], N: 0 });
    await warmed;

    const cpuBefore = gateways.map((g) => cpuSeconds(g.process.pid!));
    const started = performance.now();
    for (let n = 1; n <= EVENTS; n += 1) {
      postedAt.set(n, performance.now());
      await post(gateways[n % instances]!.url, {
        Event: 'BenchEvent',
        ContractId: CONTRACTS[n % CONTRACTS.length],
        N: n,
      });
      const next = started + n * INTERVAL_MS;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await done;
    const wallSeconds = (performance.now() - started) / 1000;
    const gatewayCpuSeconds = gateways.reduce(
      (sum, g, i) => sum + cpuSeconds(g.process.pid!) - cpuBefore[i]!,
      0,
    );
    return {
      instances,
      subscribers: SUBSCRIBERS,
      events: EVENTS,
      delivered,
      latency: summarize(latencies),
      wallSeconds: round2(wallSeconds),
      gatewayCpuSeconds: round2(gatewayCpuSeconds),
      deliveredPerSecond: round2(delivered / wallSeconds),
      deliveredPerCpuSecond: round2(delivered / gatewayCpuSeconds),
    };
  } finally {
    await Promise.all(clients.map((client) => Promise.resolve(client.dispose())));
    for (const gateway of gateways) gateway.process.kill('SIGKILL');
    await emulator.close();
    await redis.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const loadAtStart = os.loadavg()[0]!;
const results: ScaleOutResult['results'] = [await phase(1), await phase(2)];
const result = scaleOutResultSchema.parse({
  at: new Date().toISOString(),
  intervalMs: INTERVAL_MS,
  machine: describeMachine(loadAtStart),
  results,
});
await writeJson(resultsFile('scale-out'), result);
await writeScaleOutSection(repoRoot, result, readResult('subscriptions', subscriptionsResultSchema));
console.log(`wrote ${path.relative(repoRoot, resultsFile('scale-out'))} and docs/benchmarks.md`);
