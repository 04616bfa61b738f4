// `npm run bench:ingest`: billwerk webhooks in open-model bursts of 200, 500 and 1,000 a second for 15 s
// each over 200 contracts, against the gateway (SQLite event log, enrichment from the emulator at 0 ms)
// and, in the same run, a plain Fastify handler doing one synchronous = FULL SQLite insert per request.
// Per burst: acknowledgement p50/p99 (timed from when each webhook was due), CPU per webhook (the server
// process's CPU time until everything was published) and the time from the burst's end until no event
// waits to be published. Writes bench/results/ingest.json and the "Webhook ingest" section of
// docs/benchmarks.md.
//
// Each server is pinned to CPU 1 with `taskset`, the orchestrator (the load) and the emulator to CPU 0;
// `-- --no-pin` leaves them free. `-- --quick` tries one short burst; `-- --rates=1000` measures only the
// rates given; `-- --cpu-prof` profiles the gateway during the fastest burst (the .cpuprofile goes to
// bench/results/ingest-profile/, no results written); `-- --save-as=ingest-before` keeps the run under
// another name (rendered as the earlier run); `-- --note="…"` adds a line to the docs; `-- --render` only
// re-renders.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startChild, type Child } from '../lib/child.js';
import { repoRoot, resultsFile, writeJson } from '../lib/docs.js';
import { describeMachine } from '../lib/machine.js';
import { gatewayNodeFlags } from '../lib/node-flags.js';
import { CLIENT_CPU, pin, SERVER_CPU } from '../lib/pin.js';
import { round2, summarize } from '../lib/stats.js';
import { startWebhooks } from '../soak/load.js';
import { emulatorSetupSchema, gatewaySampleSchema, type EmulatorSetup } from '../soak/protocol.js';
import { renderIngest } from './render.js';
import { type Burst, type IngestResult } from './result.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rates: { type: 'string', default: '200,500,1000' },
    'no-pin': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'save-as': { type: 'string', default: 'ingest' },
    note: { type: 'string' },
    render: { type: 'boolean', default: false },
  },
});

const PLAN = args.quick
  ? { rates: [200], burstMs: 3_000 }
  : { rates: args.rates.split(',').map(Number), burstMs: 15_000 };
const CONTRACTS = 200;
const UPSTREAM_LATENCY_MS = 0;
/** Before each burst: a short one at this rate (JIT, connections, caches), then published. */
const WARMUP = { perSecond: 200, ms: 2_000 };
/** Change ids of the measured burst start here, above the warm-up's. */
const MEASURED_CHANGES = 1_000_000;
/** How long publishing may take after a burst before the bench gives up waiting (counted as missed). */
const DRAIN_LIMIT_MS = 120_000;
const POLL_MS = 20;

const startedAt = Date.now();
const log = (line: string) =>
  process.stdout.write(
    `[bench:ingest ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const here = import.meta.dirname;
const profileDir = path.join(repoRoot, 'bench/results/ingest-profile');

type ServerName = 'gateway' | 'baseline';

/** Events waiting to be published (the baseline publishes nothing). */
const pendingOf = async (server: ServerName, child: Child) =>
  server === 'gateway' ? (await child.call('sample', gatewaySampleSchema)).pending : 0;

/** Waits until nothing waits to be published; ms it took, or null past DRAIN_LIMIT_MS. */
async function drained(server: ServerName, child: Child, since: number): Promise<number | null> {
  while ((await pendingOf(server, child)) > 0) {
    if (performance.now() - since > DRAIN_LIMIT_MS) return null;
    await sleep(POLL_MS);
  }
  return performance.now() - since;
}

/** One burst at `perSecond` against a fresh server process. */
async function burst(
  server: ServerName,
  perSecond: number,
  setup: EmulatorSetup,
  emulatorUrl: string,
  pinning: boolean,
): Promise<Burst> {
  const profiled = args['cpu-prof'] && server === 'gateway' && perSecond === Math.max(...PLAN.rates);
  // The gateway is the soak's gateway process (the soak's webhook credentials, its sampler), with a
  // count bound no burst reaches.
  const child = await startChild(
    server === 'gateway' ? path.join(here, '../soak/gateway.js') : path.join(here, 'baseline.js'),
    {
      billwerkUrl: emulatorUrl,
      clientId: setup.clientId,
      clientSecret: setup.clientSecret,
      maxEvents: 1_000_000,
      env: {},
      profileDir: null,
      profileSurvivors: false,
    },
    [
      ...(server === 'gateway' ? gatewayNodeFlags() : []),
      ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ],
  );
  try {
    if (pinning && !pin(child.pid, SERVER_CPU)) throw new Error(`could not pin ${server} to CPU 1`);
    const warm = startWebhooks(child.url, setup, WARMUP.perSecond);
    await sleep(WARMUP.ms);
    await warm.stop();
    await drained(server, child, performance.now());

    const cpuBefore = await child.cpu();
    const load = startWebhooks(child.url, setup, perSecond, MEASURED_CHANGES);
    await sleep(PLAN.burstMs);
    const endedAt = performance.now();
    const stopped = load.stop();
    const pendingAtEnd = await pendingOf(server, child);
    await stopped;
    const window = load.take();
    const publishedAfterMs = await drained(server, child, endedAt);
    const cpuAfter = await child.cpu();
    const cpuMs = (cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system) / 1000;
    const result: Burst = {
      acked: window.latencies.length,
      errors: window.errors,
      ack: summarize(window.latencies),
      cpuMsPerWebhook: round2(cpuMs / Math.max(1, window.latencies.length)),
      publishedAfterMs: publishedAfterMs === null ? null : Math.round(publishedAfterMs),
      pendingAtEnd,
    };
    log(
      `${server} at ${perSecond}/s: ${result.acked} acked (${result.errors} failed), ack p50 ` +
        `${result.ack.p50Ms} ms p99 ${result.ack.p99Ms} ms, ${result.cpuMsPerWebhook} ms CPU per ` +
        `webhook, ${pendingAtEnd} unpublished at the end, all published after ${result.publishedAfterMs ?? '—'} ms`,
    );
    return result;
  } finally {
    await child.close();
  }
}

async function run(): Promise<IngestResult | undefined> {
  // Described before pinning: a process pinned to one CPU sees one (os.availableParallelism).
  const machine = describeMachine(os.loadavg()[0]!);
  const pinning = !args['no-pin'] && pin(process.pid, CLIENT_CPU);
  const emulator = await startChild(path.join(here, '../soak/emulator.js'), {
    latencyMs: UPSTREAM_LATENCY_MS,
    contracts: CONTRACTS,
  });
  try {
    if (pinning) pin(emulator.pid, CLIENT_CPU);
    const setup = await emulator.call('setup', emulatorSetupSchema);
    log(`emulator on ${emulator.url} with ${setup.contracts.length} contracts; pinned: ${pinning}`);
    const rates = [];
    for (const perSecond of PLAN.rates) {
      // Gateway and baseline one after the other at each rate, so both see the machine alike.
      const gateway = await burst('gateway', perSecond, setup, emulator.url, pinning);
      const baseline = await burst('baseline', perSecond, setup, emulator.url, pinning);
      rates.push({ perSecond, gateway, baseline });
    }
    if (args['cpu-prof']) {
      log(`gateway profile written to ${profileDir}`);
      return undefined;
    }
    return {
      date: new Date().toISOString(),
      machine: { ...machine, loadAverage: { ...machine.loadAverage, end: round2(os.loadavg()[0]!) } },
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot }).toString().trim(),
      setup: {
        burstSeconds: PLAN.burstMs / 1000,
        contracts: CONTRACTS,
        upstreamLatencyMs: UPSTREAM_LATENCY_MS,
        pinned: pinning,
      },
      rates,
      note: args.note,
    };
  } finally {
    await emulator.close();
  }
}

if (!args.render) {
  const result = await run();
  if (result && !args.quick) await writeJson(resultsFile(args['save-as']), result);
}
await renderIngest(repoRoot);
