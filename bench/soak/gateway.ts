// Child process: the gateway under soak, alone in its process (pinned to one core by the orchestrator),
// reporting per window what the soak tracks: memory and collections, event-loop delay, disk, the event
// log's size and its pruning steps. Forked with --expose-gc for the forced collections at the ends.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  constants,
  monitorEventLoopDelay,
  PerformanceObserver,
  type PerformanceEntry,
} from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createBillwerkClient } from '../../src/billwerk/client.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createGateway } from '../../src/server/gateway.js';
import { createMetrics } from '../../src/server/metrics.js';
import { childConfig, serveParent } from '../lib/child.js';
import { percentile } from '../lib/stats.js';
import { collectGarbage } from '../subscriptions/memory.js';
import { gatewayConfigSchema, SOAK_ADMIN_KEY, SOAK_WEBHOOK_AUTH, type GatewaySample } from './protocol.js';

const config = childConfig(gatewayConfigSchema);
const dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-soak-'));
const MB = 1024 * 1024;

let pruneMs: number[] = [];
let pruned = 0;
const metrics = createMetrics();
const billwerk = createBillwerkClient({
  baseUrl: config.billwerkUrl,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
});
const gateway = await createGateway({
  config: loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    GATEWAY_MODE: 'production',
    GATEWAY_ADMIN_KEY: SOAK_ADMIN_KEY,
    // One key sends the whole load: the per-caller rate limit would measure itself, not the gateway.
    RATE_LIMIT_PER_MINUTE: '0',
    // The soak sends ContractChanged for changes the emulator never made: no sweep to reconcile them.
    RECONCILE_INTERVAL_MS: '0',
    EVENT_RETENTION_MAX_EVENTS: String(config.maxEvents),
    ...config.env,
  }),
  billwerk,
  logger: createLogger({ level: 'silent' }),
  webhookCredentials: { basicAuth: { ...SOAK_WEBHOOK_AUTH } },
  metrics: {
    ...metrics,
    pruneStep: (removed, seconds) => {
      pruneMs.push(seconds * 1000);
      pruned += removed;
      metrics.pruneStep(removed, seconds);
    },
  },
});

// A second, read-only connection for the page counts (the gateway's own is inside the event log).
const pages = new Database(path.join(dataDir, 'gateway.db'), { readonly: true });
const pragma = (name: string) => pages.pragma(name, { simple: true }) as number;

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let majorGcs = 0;
let majorGcMaxMs = 0;
let minorGcs = 0;
let minorGcTotalMs = 0;
let heapAfterMajorGc: number | null = null;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      majorGcs += 1;
      majorGcMaxMs = Math.max(majorGcMaxMs, entry.duration);
      heapAfterMajorGc = process.memoryUsage().heapUsed;
    } else {
      minorGcs += 1;
      minorGcTotalMs += entry.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });

let cpu = process.cpuUsage();
const diskBytes = () =>
  readdirSync(dataDir).reduce((total, name) => total + statSync(path.join(dataDir, name)).size, 0);

async function sample(): Promise<GatewaySample> {
  const stats = await gateway.events.log.stats();
  const memory = process.memoryUsage();
  const cpuNow = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  const sorted = [...pruneMs].sort((a, b) => a - b);
  const result: GatewaySample = {
    rssMb: memory.rss / MB,
    heapUsedMb: memory.heapUsed / MB,
    heapAfterMajorGcMb: heapAfterMajorGc === null ? null : heapAfterMajorGc / MB,
    majorGcs,
    majorGcMaxMs,
    minorGcs,
    minorGcTotalMs,
    loopDelay: {
      p50Ms: loop.percentile(50) / 1e6,
      p99Ms: loop.percentile(99) / 1e6,
      maxMs: loop.max / 1e6,
    },
    diskBytes: diskBytes(),
    usedBytes: (pragma('page_count') - pragma('freelist_count')) * pragma('page_size'),
    retained: stats.retained,
    pending: stats.pending,
    oldestRetainedAgeS: stats.oldest ? (Date.now() - stats.oldest.receivedAt.getTime()) / 1000 : null,
    pruneSteps: {
      count: sorted.length,
      removed: pruned,
      p99Ms: sorted.length ? percentile(sorted, 0.99) : 0,
      maxMs: sorted.at(-1) ?? 0,
    },
    cpuMs: (cpuNow.user + cpuNow.system) / 1000,
  };
  loop.reset();
  pruneMs = [];
  pruned = 0;
  majorGcs = 0;
  majorGcMaxMs = 0;
  minorGcs = 0;
  minorGcTotalMs = 0;
  heapAfterMajorGc = null;
  return result;
}

/** The sampling heap profiler (what allocates, by stack), for a window the orchestrator chooses. */
let session: Session | undefined;
async function allocationsStart(): Promise<void> {
  if (config.profileDir === null || session) return;
  session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  // Collected objects included: the profile shows what is allocated (what drives collections), not
  // only what survives; with profileSurvivors, what a scavenge collected is left out, so what remains was
  // promoted to the old generation (what its full collections then have to clear).
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 32 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !config.profileSurvivors,
  });
}
async function allocationsStop(): Promise<string | null> {
  if (!session || config.profileDir === null) return null;
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  session = undefined;
  mkdirSync(config.profileDir, { recursive: true });
  const file = path.join(config.profileDir, 'gateway.heapprofile');
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

serveParent(
  gateway.url,
  {
    sample,
    pending: async () => (await gateway.events.log.stats()).pending,
    gc: async () => {
      await collectGarbage();
      return { heapUsedMb: process.memoryUsage().heapUsed / MB };
    },
    allocationsStart,
    allocationsStop,
  },
  async () => {
    await allocationsStop();
    loop.disable();
    pages.close();
    await gateway.close();
    await billwerk.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
);
