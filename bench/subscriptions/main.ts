// `npm run bench:subscriptions`: webhook received → `next` frame received, through the gateway's
// graphql-ws fan-out to 1k and 5k subscribers on one topic, against a plain `ws` broadcast of the same
// bytes in the same run; executions per event; memory per idle subscription at 10k. Writes
// bench/results/subscriptions.json and the "Subscriptions" section of docs/benchmarks.md.
// `-- --quick` tries every phase small; `-- --cpu-prof` profiles the gateway during the largest fan-out
// and while 10k subscriptions connect (both write no results); `-- --render` only re-renders the docs;
// `-- --memory` runs only the gateway's memory figures and prints them (writes no results). Each server is
// pinned to CPU 1 with `taskset` (the orchestrator and the clients to CPU 0); `-- --no-pin` leaves all
// processes free to use every core.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from '../lib/machine.js';
import { CLIENT_CPU, pin, SERVER_CPU } from '../lib/pin.js';
import { writeJson } from '../lib/docs.js';
import {
  CLIENT_PROCESSES,
  clockSkew,
  closeClients,
  frameOf,
  INTERVAL_MS,
  log,
  measure,
  progressOf,
  startClients,
  sum,
  TURNS,
  waitUntil,
  warmUp,
  WARMUP_EVENTS,
  withClients,
} from './drive.js';
import { figuresOf } from './figures.js';
import { BENCH_EVENT, type Memory } from './protocol.js';
import { writeSubscriptionsSection } from './render.js';
import {
  subscriptionsResultSchema,
  type Delivery,
  type MemoryRun,
  type SubscriptionsResult,
} from './result.js';
import { profile, startBaseline, startGateway, type Server } from './servers.js';

const quick = process.argv.includes('--quick');
const memoryOnly = process.argv.includes('--memory');
const pinning = !process.argv.includes('--no-pin');
/** How much is measured. `--quick` checks that every phase works, in seconds. */
const PLAN = quick
  ? { sizes: [100, 300], events: 10, groupSubscribers: 100, groupEvents: 5, idle: 1_000 }
  : {
      /** Subscribers on one topic in the latency phases. */
      sizes: [1_000, 5_000, 10_000],
      /**
       * Measured events per server and phase. At 5k subscribers the slowest 1 % of receipts is about one
       * event's worth, so p99 follows the slowest fan-out; more events make that less of a lottery.
       */
      events: 100,
      /** Subscribers and events of the phase with two distinct operations. */
      groupSubscribers: 1_000,
      groupEvents: 20,
      /** Idle subscriptions held for the memory figures. */
      idle: 10_000,
    };
/**
 * Subscriptions per socket in the multiplexed memory run. Under the gateway's per-connection cap
 * (MAX_SUBSCRIPTIONS_PER_CONNECTION, 100), which in fact admits 99: graphql-ws has already registered
 * the new subscription when `onSubscribe` counts them.
 */
const PER_SOCKET = 50;

const QUERY = `subscription { billwerkEvents(types: ["${BENCH_EVENT}"]) { cursor event contractId payload } }`;
/** A second operation on the same topic: another selection, so another group. */
const SECOND_QUERY = `subscription { billwerkEvents(types: ["${BENCH_EVENT}"]) { cursor event receivedAt payload } }`;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const resultsFile = path.join(repoRoot, 'bench/results/subscriptions.json');

/**
 * Gateway and plain ws with the same number of subscribers, both connected for the whole phase and
 * measured in alternating turns. The plain server broadcasts a frame the gateway's clients received.
 */
async function compare(
  gateway: Server,
  baseline: Server,
  subscribers: number,
  frame: { value?: string },
  profiled: boolean,
): Promise<{ gateway: Delivery; baseline: Delivery }> {
  return withClients(gateway, subscribers, [QUERY], (gatewayClients) =>
    withClients(baseline, subscribers, [QUERY], async (baselineClients) => {
      await warmUp(gateway, gatewayClients);
      frame.value = await frameOf(gatewayClients);
      await warmUp(baseline, baselineClients);
      if (profiled) await profile(gateway, 'start');
      const [g, b] = await measure(
        [
          { server: gateway, clients: gatewayClients },
          { server: baseline, clients: baselineClients },
        ],
        PLAN.events,
      );
      if (profiled)
        log(`gateway profile of the fan-out to ${subscribers}: ${await profile(gateway, 'stop')}`);
      return { gateway: g!, baseline: b! };
    }),
  );
}

/** Memory of `subscriptions` idle subscriptions: full collections before, with all open, after closing. */
async function memoryRun(
  server: Server,
  subscriptions: number,
  perSocket: number,
  profiled = false,
): Promise<MemoryRun> {
  const before = await server.collect();
  if (profiled) await profile(server, 'start');
  const clients = await startClients(server, subscriptions, [QUERY], perSocket);
  let after: { open: number; memory: Memory };
  try {
    // A refused subscription answers with an error frame and never opens: stop waiting for it.
    await waitUntil(
      async () => (await server.open()) >= clients.subscribed - (await progressOf(clients)).errors,
      60_000,
    );
    if (profiled) log(`gateway profile of ${subscriptions} subscribing: ${await profile(server, 'stop')}`);
    after = await server.collect();
  } finally {
    await closeClients(server, clients);
  }
  const afterClose = await server.collect();
  const open = after.open - before.open;
  const run: MemoryRun = {
    requested: subscriptions,
    open,
    sockets: sum(clients.reports.map((r) => r.opened)),
    connectMs: Math.max(...clients.reports.map((r) => r.ms)),
    before: before.memory,
    after: after.memory,
    afterClose: afterClose.memory,
    heapPerSubscriptionBytes: Math.round(
      (after.memory.heapUsed - before.memory.heapUsed) / Math.max(1, open),
    ),
    rssPerSubscriptionBytes: Math.round((after.memory.rss - before.memory.rss) / Math.max(1, open)),
  };
  log(
    `${server.name} memory, ${run.open} subscriptions on ${run.sockets} sockets: ` +
      `${run.heapPerSubscriptionBytes} B heap, ${run.rssPerSubscriptionBytes} B RSS each`,
  );
  return run;
}

function openFilesLimit(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return (
      line
        ?.split(/\s{2,}/)
        .slice(1, 3)
        .join(' / ') ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) {
    const raw: unknown = JSON.parse(readFileSync(resultsFile, 'utf8'));
    await writeSubscriptionsSection(repoRoot, subscriptionsResultSchema.parse(raw));
    return;
  }
  const loadAtStart = os.loadavg()[0]!;
  // Read before pinning: a pinned process sees one CPU.
  const nproc = os.availableParallelism();
  const profileDir = process.argv.includes('--cpu-prof')
    ? mkdtempSync(path.join(os.tmpdir(), 'gateway-bench-profile-'))
    : null;
  const frame: { value?: string } = {};
  // Forked children inherit the orchestrator's CPU: the clients stay on CLIENT_CPU, the servers move.
  let pinned = pinning && pin(process.pid, CLIENT_CPU);
  const gateway = await startGateway({ profileDir });
  const baseline = await startBaseline(() => {
    if (frame.value === undefined) throw new Error('the baseline needs a gateway frame first');
    return frame.value;
  });
  if (pinned) pinned = pin(gateway.child.pid, SERVER_CPU) && pin(baseline.child.pid, SERVER_CPU);
  if (pinning && !pinned) log('could not pin the servers to one CPU (taskset): they use every core');
  log(`gateway ${gateway.child.url} (pid ${gateway.child.pid}), baseline ${baseline.child.url}`);
  try {
    if (memoryOnly) {
      await memoryRun(gateway, PLAN.idle, 1);
      await memoryRun(gateway, PLAN.idle, PER_SOCKET);
      return;
    }
    const latency: SubscriptionsResult['latency'] = [];
    for (const subscribers of PLAN.sizes) {
      const profiled = profileDir !== null && subscribers === PLAN.sizes.at(-1);
      latency.push({ subscribers, ...(await compare(gateway, baseline, subscribers, frame, profiled)) });
    }
    const [groups] = await withClients(
      gateway,
      PLAN.groupSubscribers,
      [QUERY, SECOND_QUERY],
      async (clients) => {
        await warmUp(gateway, clients);
        return measure([{ server: gateway, clients }], PLAN.groupEvents);
      },
    );
    const memory = {
      gateway: await memoryRun(gateway, PLAN.idle, 1, profileDir !== null),
      multiplexed: { ...(await memoryRun(gateway, PLAN.idle, PER_SOCKET)), perSocket: PER_SOCKET },
      baseline: await memoryRun(baseline, PLAN.idle, 1),
    };

    const result = subscriptionsResultSchema.parse({
      date: new Date().toISOString(),
      machine: { ...describeMachine(loadAtStart), nproc, openFilesLimit: openFilesLimit() },
      setup: {
        events: PLAN.events,
        warmupEvents: WARMUP_EVENTS,
        intervalMs: INTERVAL_MS,
        turns: TURNS,
        clientProcesses: CLIENT_PROCESSES,
        query: QUERY,
        secondQuery: SECOND_QUERY,
        clockSkewMs: clockSkew(),
        pinned,
      },
      figures: [],
      latency,
      groups: groups!,
      memory,
    } satisfies SubscriptionsResult);
    result.figures = figuresOf(result);
    for (const f of result.figures) log(`${f.figure}: ${f.gateway} vs ${f.baseline} (${f.ratio}); ${f.met}`);
    // A profiled gateway is a slower gateway: its numbers are for finding hot spots, not for the docs.
    if (quick || profileDir) return;
    mkdirSync(path.dirname(resultsFile), { recursive: true });
    await writeJson(resultsFile, result);
    await writeSubscriptionsSection(repoRoot, result);
  } finally {
    await Promise.all([gateway.child.close(), baseline.child.close()]);
  }
}

await main();
