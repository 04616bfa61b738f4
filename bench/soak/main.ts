// `npm run bench:soak -- --minutes=60`: the gateway under mixed load for an hour (or the minutes given):
// webhooks, one-contract queries and graphql-ws subscribers that drop and resume, all at once, with the
// event log's count bound reached in the first minutes. The subscribers connect at a steady rate before
// the measured minutes start, as clients arrive. Per minute: the heap, RSS, disk, event-loop delay,
// query, ack and delivery latency, pruning steps; at the end, lost and duplicated deliveries. Writes
// bench/results/soak.json and the soak section of docs/benchmarks.md.
//
// Options: --minutes=N (60), --max-events=N (EVENT_RETENTION_MAX_EVENTS, 20000: reached in about 3
// minutes), --no-pin (do not pin the gateway to CPU 1 with taskset), --profile (sample the gateway's
// allocations over the third minute; with --survivors, only what outlived a young-generation collection),
// --node-flags="--max-semi-space-size=32" (node flags for the gateway instead of those `npm start` uses;
// `--node-flags=` for node's defaults), --note="…" (a line for the docs, e.g. what else the machine was
// doing).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startChild, type Child } from '../lib/child.js';
import { repoRoot, resultsFile, writeJson } from '../lib/docs.js';
import { describeMachine } from '../lib/machine.js';
import { gatewayNodeFlags } from '../lib/node-flags.js';
import { round2, summarize } from '../lib/stats.js';
import { startQueries, startWebhooks } from './load.js';
import {
  emulatorSetupSchema,
  forcedGcSchema,
  gatewaySampleSchema,
  repeatsSchema,
  subscribersSampleSchema,
  tracksSchema,
  type EmulatorSetup,
  type Track,
} from './protocol.js';
import { writeSoakSection } from './render.js';
import { soakResultSchema, type Minute, type SoakResult } from './result.js';

const LATENCY_MS = 20;
/** The query reads a contract, then its customer: two calls one after the other. */
const CRITICAL_PATH_MS = 2 * LATENCY_MS;
const CONTRACTS = 200;
const WEBHOOKS_PER_SECOND = 100;
const QUERIES_PER_SECOND = 50;
const SOCKETS = 300;
/** Sockets connecting per second before the measured minutes: 10 s for 300. */
const SOCKETS_PER_SECOND = 30;
const SUBSCRIPTIONS_PER_SOCKET = 8;
const CHURNING = 150;
const RECONNECTS_PER_SECOND = 5;
const QUERY_ONLY_MS = 30_000;
/** After the load stops: how long the gateway may take to publish its backlog, and then time for the
 * last deliveries to arrive before the views are read (what has not arrived by then counts as lost). */
const BACKLOG_WAIT_MS = 300_000;
const DRAIN_MS = 5_000;

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    'max-events': { type: 'string', default: '20000' },
    'no-pin': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    survivors: { type: 'boolean', default: false },
    'node-flags': { type: 'string' },
    note: { type: 'string' },
  },
});
const minutes = z.coerce.number().int().positive().parse(args.minutes);
const maxEvents = z.coerce.number().int().positive().parse(args['max-events']);
// As `npm start` runs the gateway, unless the flags are given (`--node-flags=` for node's defaults).
const nodeFlags = (args['node-flags']?.split(/\s+/) ?? gatewayNodeFlags()).filter(Boolean);

const startedAt = Date.now();
const log = (line: string) =>
  process.stdout.write(
    `[bench:soak ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pins a process (all its threads) to one CPU; says whether it could. */
function pin(pid: number, cpu: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const round = (mb: number) => Math.round(mb * 100) / 100;

/** Least-squares slope of `points` (x, y); null with fewer than two. */
function slope(points: [number, number][]): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? null : sxy / sxx;
}

/** What the subscriptions had to get and what they got, from their views and what was sent. */
function deliveries(tracks: Track[], lastSent: number[]) {
  let expected = 0;
  let received = 0;
  for (const track of tracks) {
    if (track.first < 0) continue;
    // An open view must reach the contract's last change; a closed one is judged up to where it ended.
    const last = track.open ? lastSent[track.contract]! : track.last;
    expected += last - track.first + 1;
    received += track.unique;
  }
  return { expected, received, lost: expected - received };
}

/** The emulator and the gateway under soak, the gateway pinned to CPU 1 unless told otherwise. */
async function startServers(children: Child[]) {
  const here = import.meta.dirname;
  const emulator = await startChild(path.join(here, 'emulator.js'), {
    latencyMs: LATENCY_MS,
    contracts: CONTRACTS,
  });
  children.push(emulator);
  const setup: EmulatorSetup = await emulator.call('setup', emulatorSetupSchema);
  log(`emulator on ${emulator.url} with ${setup.contracts.length} contracts`);
  const profileDir = args.profile ? path.join(repoRoot, 'bench/results/soak-profile') : null;
  const gateway = await startChild(
    path.join(here, 'gateway.js'),
    {
      billwerkUrl: emulator.url,
      clientId: setup.clientId,
      clientSecret: setup.clientSecret,
      maxEvents,
      env: {},
      profileDir,
      profileSurvivors: args.survivors,
    },
    ['--expose-gc', ...nodeFlags],
  );
  children.push(gateway);
  // The gateway on CPU 1. The emulator, load and subscribers are left to the scheduler: pinned to the
  // other CPU, anything else the machine runs there starves them and the load, not the gateway, lags.
  const pinned = !args['no-pin'] && pin(gateway.pid, 1);
  log(`gateway on ${gateway.url}${pinned ? ', pinned to CPU 1' : ' (not pinned)'}`);
  return { setup, gateway, pinned };
}

/**
 * The subscribers, connected at SOCKETS_PER_SECOND as clients arrive (the warm-up before the measured
 * minutes), not in one instant.
 */
async function startSubscribers(children: Child[], gateway: Child, setup: EmulatorSetup): Promise<Child> {
  const subscribers = await startChild(path.join(import.meta.dirname, 'subscribers.js'), {
    wsUrl: `${gateway.url.replace(/^http/, 'ws')}/graphql`,
    contracts: setup.contracts.map((c) => c.id),
    sockets: SOCKETS,
    socketsPerSecond: SOCKETS_PER_SECOND,
    subscriptionsPerSocket: SUBSCRIPTIONS_PER_SOCKET,
    churning: CHURNING,
    reconnectsPerSecond: RECONNECTS_PER_SECOND,
  });
  children.push(subscribers);
  const open = await subscribers.call('rampedUp', z.number());
  log(`${open} of ${SOCKETS} sockets connected, ${SOCKETS_PER_SECOND} per second`);
  return subscribers;
}

/** The mixed load, minute by minute: one row each, and the allocation profile when asked for. */
async function measure(gateway: Child, subscribers: Child, setup: EmulatorSetup) {
  // The windows start with the mixed load.
  await gateway.call('sample', z.unknown());
  await subscribers.call('sample', z.unknown());
  const webhooks = startWebhooks(gateway.url, setup, WEBHOOKS_PER_SECOND);
  const queries = startQueries(gateway.url, setup, QUERIES_PER_SECOND);
  const rows: Minute[] = [];
  let allocationProfile: string | null = null;
  const t0 = Date.now();
  for (let minute = 1; minute <= minutes; minute += 1) {
    if (args.profile && minute === 3) await gateway.call('allocationsStart', z.unknown());
    await sleep(Math.max(0, t0 + minute * 60_000 - Date.now()));
    if (args.profile && minute === 3) {
      allocationProfile = await gateway.call('allocationsStop', z.string().nullable());
    }
    const hooks = webhooks.take();
    const asked = queries.take();
    const row: Minute = {
      minute,
      webhooks: { ack: summarize(hooks.latencies), errors: hooks.errors },
      queries: { latency: summarize(asked.latencies), errors: asked.errors },
      subscribers: await subscribers.call('sample', subscribersSampleSchema),
      gateway: await gateway.call('sample', gatewaySampleSchema),
    };
    rows.push(row);
    logMinute(row);
  }
  await Promise.all([webhooks.stop(), queries.stop()]);
  return { rows, allocationProfile, lastSent: webhooks.lastSent };
}

function logMinute(row: Minute): void {
  const g = row.gateway;
  log(
    `minute ${row.minute}: query p50/p99 ${row.queries.latency.p50Ms}/${row.queries.latency.p99Ms} ms, ` +
      `delivery ${row.subscribers.delivery.p50Ms}/${row.subscribers.delivery.p99Ms} ms, ` +
      `ack ${row.webhooks.ack.p50Ms}/${row.webhooks.ack.p99Ms} ms, loop max ${round(g.loopDelay.maxMs)} ms, ` +
      `heap after GC ${g.heapAfterMajorGcMb === null ? '-' : round(g.heapAfterMajorGcMb)} MB ` +
      `(${g.majorGcs} full, max ${round(g.majorGcMaxMs)} ms), disk ${round(g.diskBytes / 2 ** 20)} MB, ` +
      `${g.retained} kept, prune max ${round(g.pruneSteps.maxMs)} ms`,
  );
}

/**
 * Once the load stopped: the views, read after the gateway published its backlog (events still waiting
 * for enrichment are not lost) and the last deliveries had time to arrive.
 */
async function collect(gateway: Child, subscribers: Child) {
  await subscribers.call('stopChurn', z.unknown());
  const drainUntil = Date.now() + BACKLOG_WAIT_MS;
  let pendingAtEnd = await gateway.call('pending', z.number());
  while (pendingAtEnd > 0 && Date.now() < drainUntil) {
    await sleep(1_000);
    pendingAtEnd = await gateway.call('pending', z.number());
  }
  if (pendingAtEnd > 0) log(`${pendingAtEnd} events still unpublished after ${BACKLOG_WAIT_MS / 1000} s`);
  await sleep(DRAIN_MS);
  const tracks = await subscribers.call('tracks', tracksSchema);
  // Each repeated change with its deliveries: which subscription (socket, `after`), the cursors, when.
  const repeats = await subscribers.call('repeats', repeatsSchema);
  for (const repeat of repeats.slice(0, 20)) log(`repeated: ${JSON.stringify(repeat)}`);
  const { heapUsedMb } = await gateway.call('gc', forcedGcSchema);
  return { pendingAtEnd, tracks, heapUsedMb };
}

/** The run's totals from its minutes and what was collected at the end. */
function totals(
  rows: Minute[],
  lastSent: number[],
  end: Awaited<ReturnType<typeof collect>>,
  allocationProfile: string | null,
) {
  const { expected, received, lost } = deliveries(end.tracks, lastSent);
  const atBound = rows.find((row) => row.gateway.retained >= maxEvents)?.minute ?? null;
  const boundRows = atBound === null ? [] : rows.filter((row) => row.minute >= atBound);
  const heapPoints = boundRows.flatMap((row): [number, number][] =>
    row.gateway.heapAfterMajorGcMb === null ? [] : [[row.minute, row.gateway.heapAfterMajorGcMb]],
  );
  const heapSlope = slope(heapPoints);
  const last = rows.at(-1)?.gateway;
  return {
    webhooksSent: lastSent.reduce((sum, k) => sum + k + 1, 0),
    webhooksFailed: rows.reduce((sum, row) => sum + row.webhooks.errors, 0),
    pendingAtEnd: end.pendingAtEnd,
    expected,
    received,
    lost,
    duplicated: rows.reduce((sum, row) => sum + row.subscribers.duplicates, 0),
    outOfOrder: rows.reduce((sum, row) => sum + row.subscribers.outOfOrder, 0),
    resumedSessions: rows.reduce((sum, row) => sum + row.subscribers.resumed, 0),
    heapAtEndMb: round2(end.heapUsedMb),
    heapSlopeMbPerMin: heapSlope === null ? null : Math.round(heapSlope * 1000) / 1000,
    boundReachedMinute: atBound,
    diskSlopeMbPerMin:
      boundRows.length < 2
        ? null
        : round2(slope(boundRows.map((row) => [row.minute, row.gateway.diskBytes / 2 ** 20]))!),
    bytesPerEvent:
      last && last.retained + last.pending > 0
        ? Math.round(last.usedBytes / (last.retained + last.pending))
        : null,
    pruneStepMaxMs: round2(Math.max(0, ...rows.map((row) => row.gateway.pruneSteps.maxMs))),
    allocationProfile: allocationProfile && path.relative(repoRoot, allocationProfile),
  };
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0]!;
  // The machine as the run starts; its load average is read again at the end.
  const machine = describeMachine(loadAtStart);
  const children: Child[] = [];
  try {
    const { setup, gateway, pinned } = await startServers(children);
    const queryOnly = startQueries(gateway.url, setup, QUERIES_PER_SECOND);
    await sleep(QUERY_ONLY_MS);
    await queryOnly.stop();
    const queryOnlyLatency = summarize(queryOnly.take().latencies);
    log(`queries alone: p50 ${queryOnlyLatency.p50Ms} ms, p99 ${queryOnlyLatency.p99Ms} ms`);

    const subscribers = await startSubscribers(children, gateway, setup);
    const { rows, allocationProfile, lastSent } = await measure(gateway, subscribers, setup);
    const end = await collect(gateway, subscribers);
    const result: SoakResult = soakResultSchema.parse({
      date: new Date().toISOString(),
      machine: {
        ...machine,
        loadAverage: { start: machine.loadAverage.start, end: round2(os.loadavg()[0]!) },
      },
      setup: {
        minutes,
        latencyMs: LATENCY_MS,
        criticalPathMs: CRITICAL_PATH_MS,
        contracts: setup.contracts.length,
        webhooksPerSecond: WEBHOOKS_PER_SECOND,
        queriesPerSecond: QUERIES_PER_SECOND,
        sockets: SOCKETS,
        socketsPerSecond: SOCKETS_PER_SECOND,
        subscriptionsPerSocket: SUBSCRIPTIONS_PER_SOCKET,
        churning: CHURNING,
        reconnectsPerSecond: RECONNECTS_PER_SECOND,
        maxEvents,
        pinned,
        nodeFlags,
        note: args.note,
      },
      queryOnly: queryOnlyLatency,
      minutes: rows,
      totals: totals(rows, lastSent, end, allocationProfile),
    });
    mkdirSync(path.dirname(resultsFile('soak')), { recursive: true });
    await writeJson(resultsFile('soak'), result);
    await writeSoakSection(repoRoot, result);
    const t = result.totals;
    log(
      `${t.received}/${t.expected} delivered, ${t.lost} lost, ${t.duplicated} duplicated, ` +
        `${t.outOfOrder} out of order; heap ${t.heapAtEndMb} MB (${t.heapSlopeMbPerMin ?? '-'} MB/min), ` +
        `disk ${t.diskSlopeMbPerMin ?? '-'} MB/min, ${t.bytesPerEvent ?? '-'} bytes per event`,
    );
    log('wrote bench/results/soak.json and docs/benchmarks.md');
  } finally {
    for (const child of children.reverse()) await child.close();
  }
}

await main();
