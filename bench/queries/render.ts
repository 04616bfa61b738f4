// The Queries section of docs/benchmarks.md, rendered from bench/results/queries.json: the table of
// figures and targets, how they were measured, and what limits them.
import { SERVER_KINDS, type ServerKind } from './protocol.js';
import { type PhaseSummary, type QueriesResult } from './result.js';
import { writeSection } from '../lib/docs.js';

const LABELS: Record<ServerKind, string> = {
  baseline: 'baseline (Fastify + undici)',
  'gateway-cold': 'gateway, cache off',
  'gateway-warm': 'gateway, cache warm',
};

const nthSlowest = (n: number) =>
  n === 1 ? 'slowest' : `${n === 2 ? 'second' : n === 3 ? 'third' : `${n}th`} slowest`;
const pct = (share: number) => `${Math.round(share * 100)} %`;
const shares = (c: PhaseSummary['cpuShare']) =>
  `${pct(c.server)} · ${pct(c.emulator)} · ${pct(c.loadGenerator)} · ${pct(c.others)}`;
const calls = (u: PhaseSummary['upstreamPerRequest']) =>
  `${u.total} (${u.contractsPage} page, ${u.customer} customers, ${u.productInfo} catalogue)`;

export function renderQueries(r: QueriesResult): string {
  const { setup: s, machine: m, modes } = r;
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const table = (head: string[], rows: (string | number)[][]) =>
    [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
  const criticalMs = s.criticalPathRounds * s.latencyMs;
  const warmMs = modes['gateway-warm'].trace.rounds * s.latencyMs;
  const measuredS = (s.slices * s.sliceMs) / 1000;
  const pinning = s.pinned
    ? 'Each server ran pinned to one core (CPU 1, `taskset`), the emulator and the load generator on the other: in production a Node process gets one core, so requests per CPU-second are what one instance serves.'
    : 'Nothing was pinned (`--no-pin`, or no `taskset`): every process could use every core.';
  const lightRate = s.openRatesPerSecond[0]!;
  const lightSamples = measuredS * lightRate;
  const met = r.figures.filter((f) => f.met === 'yes').length;
  const floor = (p: 'p50Ms' | 'p99Ms') => (modes.baseline.open[0]!.latency[p] / criticalMs).toFixed(2);
  // Nearest rank: p99 is the k-th slowest sample.
  const p99Rank = lightSamples - Math.ceil(0.99 * lightSamples) + 1;
  const warmP50 = modes['gateway-warm'].open[0]!.latency.p50Ms;
  const busiestServer = Math.max(...SERVER_KINDS.map((k) => modes[k].closed.cpuShare.server));

  const figures = table(
    ['figure', 'gateway', 'baseline', 'gateway ÷ baseline', 'target ratio', 'target', 'met?'],
    r.figures.map((f) => [f.figure, f.gateway, f.baseline, f.vsBaseline, f.ratio, f.target, f.met]),
  );
  const traces = table(
    [
      'server',
      'REST calls',
      'rounds',
      'calls by round',
      'each traced request: calls (emulator count), rounds',
    ],
    SERVER_KINDS.map((k) => [
      LABELS[k],
      modes[k].trace.calls,
      modes[k].trace.rounds,
      modes[k].trace.byRound.map((x) => `${x.round}: ${x.calls.join(', ')}`).join('<br>'),
      modes[k].trace.outcomes
        .map((o) => `${o.calls} (${o.emulatorCalls}), ${o.rounds} rounds: ${o.times}×`)
        .join('<br>'),
    ]),
  );
  const phaseCells = (p: PhaseSummary) => [
    `${p.latency.p50Ms} ms`,
    `${p.latency.p90Ms} ms`,
    `${p.latency.p99Ms} ms`,
    `${p.latency.maxMs} ms`,
    `${p.errors} / ${p.latency.count + p.errors}`,
    calls(p.upstreamPerRequest),
    `${p.serverCpuMsPerRequest} ms`,
    shares(p.cpuShare),
  ];
  const phaseHead = [
    'p50',
    'p90',
    'p99',
    'max',
    'errors',
    'REST calls per request',
    'server CPU per request',
    'cores: server · emulator · load · others',
  ];
  const open = table(
    ['server', 'rate', ...phaseHead],
    s.openRatesPerSecond.flatMap((rate, i) =>
      SERVER_KINDS.map((k) => [LABELS[k], `${rate}/s`, ...phaseCells(modes[k].open[i]!)]),
    ),
  );
  const closed = table(
    ['server', 'req/s', 'req per CPU-second', ...phaseHead],
    SERVER_KINDS.map((k) => [
      LABELS[k],
      modes[k].closed.throughputPerSecond,
      modes[k].closed.requestsPerCpuSecond,
      ...phaseCells(modes[k].closed),
    ]),
  );
  const cacheLine = (kind: ServerKind) => {
    const stats = modes[kind].cacheStats;
    return stats
      ? `${stats.hits} hits, ${stats.misses} misses, ${stats.shared} joined a call in flight`
      : '—';
  };

  return `
Last run ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`npm run bench:queries\`, on ${m.nproc} CPUs
(\`nproc\`, ${m.cpuModel}), Node ${m.node}, ${m.platform}; 1-minute load average ${m.loadAverage.start} at
the start and ${m.loadAverage.end} at the end. Raw numbers: \`bench/results/queries.json\`.
${pinning}

${figures}

${met} of ${r.figures.length} targets met. At ${lightRate} req/s the baseline itself, which does nothing but
the REST calls, is at ${floor('p50Ms')}× (p50) and ${floor('p99Ms')}× (p99) of the critical path: in this
setup the emulator and the machine set a floor above the latency targets (see "What limits the
measurement"), so the "gateway ÷ baseline" column is the fairer reading of what the gateway adds.

**Target ratio.** Latency is divided by the critical path: the rounds of REST calls that must follow one
another, times the emulator's ${s.latencyMs} ms per call. Without a cache that is ${s.criticalPathRounds}
rounds (${criticalMs} ms): the page of contracts, then the customers and the catalogue in parallel. With a
warm cache the gateway needs the page alone (${warmMs} ms), so its warm rows divide by that (against the
query's uncached ${criticalMs} ms its p50 at ${lightRate} req/s is ${(warmP50 / criticalMs).toFixed(2)}×); the
baseline, which has no cache, is always shown against ${criticalMs} ms. Throughput per core is completed requests per
second of the server process's own CPU time (user + system), the gateway's over the baseline's.

### What was measured

The query below with \`first: ${s.pageSize}\`, cycling through ${s.pages} pages (\`after\`), against an emulator
holding ${s.contractsInEmulator} contracts, so that each page has ${s.distinctCustomersPerPage} distinct
customers and requests in flight at the same time ask for different pages:

\`\`\`graphql
${s.query}
\`\`\`

- **Emulator**: \`src/emulator\`, seeded, plus one new customer with one contract for each contract on the
  pages, in a process of its own, adding ${s.latencyMs} ms to every REST and OAuth call.
- **Baseline** (\`bench/queries/baseline-aggregator.ts\`): Fastify + undici, \`GET /contracts-page\`. One OAuth
  token at start, then per request \`GET /contracts?take=…&from=…\`, then \`GET /customers/{id}\` for each
  distinct customer in parallel with \`GET /productInfo\`, and the same JSON as the GraphQL answer (the bench
  checks that the answers are equal). No cache, no sharing of calls between requests.
- **Gateway, cache off**: \`createGateway\` with \`cacheOptions: { entityTtlMs: 1, catalogueTtlMs: 1 }\`.
  Identical reads in flight at the same moment still share one call; with different pages that is mostly
  the catalogue (see "REST calls per request"). The gateway's per-request loaders read the catalogue
  through the shared cache, so when the entry has gone stale between the variants' lookup and their
  plans' (more than 1 ms later), the catalogue is read a second time, in a third round: the occasional
  trace below with one call and one round more.
- **Gateway, cache warm**: the default cache (customers 15 s, catalogue 5 min).
- Each server runs in its own process (\`bench/queries/server-process.ts\`) with ${s.upstreamConnections}
  upstream sockets. CPU time is \`process.cpuUsage()\` of each process at the edges of each measured slice;
  "others" is the rest of the machine's busy time (\`os.cpus()\`) in the same slices.
- **Interleaving**: every phase gives each server ${s.slices} turns of ${s.sliceWarmupMs / 1000} s warm-up
  and ${s.sliceMs / 1000} s measured (${measuredS} s per server and phase), the order rotating, so that
  whatever else runs on the machine falls on all three alike.

Requests sent one at a time (the first pages), their calls timed by the server that made them: a call
sent after another was answered belongs to a later round, and the longest chain is the request's critical
path. The emulator's request log counts the same calls independently:

${traces}

**Open model** (latency): requests start at a constant rate whatever the server does, each timed from its
scheduled start, so a slow answer cannot delay the next measurement (no coordinated omission).
Percentiles are nearest-rank over every sample.

${open}

**Closed model** (throughput): ${s.closedConcurrency} requests in flight, each worker sending its next
request when the last is answered.

${closed}

Shared cache at the end of the run: cache off: ${cacheLine('gateway-cold')}; cache warm:
${cacheLine('gateway-warm')}.

### What limits the measurement

- **${m.nproc} cores for everything.** ${s.pinned ? 'The server under test has CPU 1, the load generator and the emulator CPU 0, and' : 'The load generator, the emulator and the server under test share them with'}
  whatever else runs on the machine takes its share of both ("others" above; 1.00 = one core).
  Interleaving spreads that over the three servers but does not remove it; p99 suffers most.
- **The emulator is part of the path.** It answers a round's parallel calls one after another on one
  thread, and each call costs it CPU in proportion to the contracts it holds (its clock scans them for due
  work on every request). A round of ${s.distinctCustomersPerPage + 1} calls therefore ends several
  milliseconds after the ${s.latencyMs} ms delay, for the baseline too. The baseline's own ratio is the
  floor for the gateway's: read the gateway's against it ("gateway ÷ baseline").
- **Timer granularity and loopback HTTP.** The delay is a \`setTimeout\`, which fires 1 ms or more late,
  and every call crosses loopback HTTP.
- **The emulator is not billwerk.** Real calls vary in latency; with a fixed delay the critical path is
  exact, with a real one the slowest call of each round sets it.
- **Short runs.** ${measuredS} s per server and phase gives ${lightSamples} samples at ${lightRate} req/s, so
  p99 is the ${nthSlowest(p99Rank)} sample; one garbage collection
  pause or a burst of other work on the machine moves it.
- **Throughput per core at partial load.** In the closed runs no server used more than
  ${pct(busiestServer)} of a core: the emulator, answering ${s.distinctCustomersPerPage + 2} calls per
  uncached request, and the rest of the machine took the remainder. A server that waits does more per
  wake-up and spends a little less CPU per request than it would flat out, the baseline as much as the
  gateway.
`;
}

/** Rewrites the Queries section of docs/benchmarks.md. */
export function writeQueriesSection(repoRoot: string, result: QueriesResult): Promise<void> {
  return writeSection(repoRoot, 'queries', 'Queries', renderQueries(result));
}
