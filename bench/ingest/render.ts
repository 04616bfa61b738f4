// The "Webhook ingest" section of docs/benchmarks.md, from bench/results/ingest.json and, when kept, an
// earlier run (bench/results/ingest-before.json, e.g. the code before a change) shown beside it.
import { existsSync } from 'node:fs';
import { readResult, resultsFile, writeSection } from '../lib/docs.js';
import { round2 } from '../lib/stats.js';
import { ingestResultSchema, type Burst, type IngestResult } from './result.js';

/** What the gateway is held to at 1,000 webhooks a second on one core. */
const TARGET = { perSecond: 1_000, ackP99Ms: 50, publishedAfterMs: 5_000 };

const ratio = (value: number, base: number) => (base > 0 ? `${round2(value / base)}×` : '—');
const published = (burst: Burst) =>
  burst.publishedAfterMs === null ? 'not within 120 s' : `${burst.publishedAfterMs} ms`;

function table(result: IngestResult): string {
  const rows = result.rates.flatMap(({ perSecond, gateway, baseline }) => [
    `| ${perSecond}/s | gateway | ${gateway.acked} (${gateway.errors}) | ${gateway.ack.p50Ms} | ` +
      `${gateway.ack.p99Ms} (${ratio(gateway.ack.p99Ms, baseline.ack.p99Ms)}) | ` +
      `${gateway.cpuMsPerWebhook} (${ratio(gateway.cpuMsPerWebhook, baseline.cpuMsPerWebhook)}) | ` +
      `${gateway.pendingAtEnd} | ${published(gateway)} |`,
    `| ${perSecond}/s | baseline | ${baseline.acked} (${baseline.errors}) | ${baseline.ack.p50Ms} | ` +
      `${baseline.ack.p99Ms} | ${baseline.cpuMsPerWebhook} | — | — |`,
  ]);
  return [
    '| rate | server | acked (failed) | ack p50 ms | ack p99 ms (÷ baseline) | CPU ms per webhook (÷ baseline) | unpublished at the end | all published after the end |',
    '| ---- | ------ | -------------- | ---------- | ----------------------- | ------------------------------- | ---------------------- | --------------------------- |',
    ...rows,
  ].join('\n');
}

function verdict(result: IngestResult): string {
  const fastest = result.rates.find((rate) => rate.perSecond === TARGET.perSecond)?.gateway;
  if (!fastest) return `No burst at ${TARGET.perSecond}/s in this run.`;
  const ack =
    fastest.ack.p99Ms <= TARGET.ackP99Ms
      ? `met (p99 ${fastest.ack.p99Ms} ms ≤ ${TARGET.ackP99Ms} ms)`
      : `missed by ${round2(fastest.ack.p99Ms - TARGET.ackP99Ms)} ms (p99 ${fastest.ack.p99Ms} ms)`;
  const drain =
    fastest.publishedAfterMs !== null && fastest.publishedAfterMs <= TARGET.publishedAfterMs
      ? `met (${fastest.publishedAfterMs} ms ≤ ${TARGET.publishedAfterMs} ms)`
      : `missed (${published(fastest)}, ${fastest.pendingAtEnd} unpublished when the burst ended)`;
  return (
    `At ${TARGET.perSecond}/s the acknowledgement target is ${ack}; everything published within ` +
    `${TARGET.publishedAfterMs / 1000} s of the burst's end: ${drain}.`
  );
}

function setupLine(result: IngestResult): string {
  const { machine, setup } = result;
  return (
    `Run of ${result.date.slice(0, 10)} at ${result.commit}: ${machine.nproc} × ${machine.cpuModel}, Node ` +
    `${machine.node}, 1-minute load ${machine.loadAverage.start} at the start and ` +
    `${machine.loadAverage.end} at the end; ${setup.burstSeconds} s per burst over ${setup.contracts} ` +
    `contracts, enrichment from the emulator at ${setup.upstreamLatencyMs} ms; ` +
    (setup.pinned
      ? 'each server pinned to CPU 1 with `taskset`, the load and the emulator to CPU 0.'
      : 'processes not pinned.') +
    (result.note ? ` ${result.note}` : '')
  );
}

export async function writeIngestSection(
  repoRoot: string,
  result: IngestResult,
  before?: IngestResult,
): Promise<void> {
  const body = [
    '`npm run bench:ingest`: ContractChanged webhooks in open-model bursts (each timed from when it was ' +
      'due, so a stalled server cannot slow the clock that measures it) of 200, 500 and 1,000 a second, ' +
      'against the gateway and, in the same run, a plain Fastify handler that stores each body with one ' +
      'better-sqlite3 insert under `synchronous = FULL` (one disk flush per request) and answers 202. ' +
      'CPU per webhook is the server process’s CPU time from the burst’s start until every event was ' +
      'published, divided by the webhooks acknowledged. Each figure of the gateway stands beside the baseline’s of ' +
      'the same run: the machine is shared with other work while it runs, so absolute figures move from ' +
      'run to run, and ratios move less.',
    setupLine(result),
    table(result),
    verdict(result),
    ...(before
      ? [
          '### The earlier run',
          'The same bench on the code before webhooks were group-committed:',
          setupLine(before),
          table(before),
          verdict(before),
        ]
      : []),
  ].join('\n\n');
  await writeSection(repoRoot, 'ingest', 'Webhook ingest', body);
}

/** Renders from the saved results, when there are any. */
export async function renderIngest(repoRoot: string): Promise<void> {
  if (!existsSync(resultsFile('ingest'))) return;
  const before = existsSync(resultsFile('ingest-before'))
    ? readResult('ingest-before', ingestResultSchema)
    : undefined;
  await writeIngestSection(repoRoot, readResult('ingest', ingestResultSchema), before);
}
