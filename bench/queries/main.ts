// `npm run bench:queries`: latency and throughput of a nested contracts query through the gateway,
// against a hand-written REST aggregator making the same billwerk calls, in one run on this machine. Each
// server is pinned to CPU 1 with `taskset` (the orchestrator and the emulator to CPU 0), as a Node process
// gets one core in production; `-- --no-pin` leaves them free. Writes bench/results/queries.json and the
// "Queries" section of docs/benchmarks.md.
// type-graphql's decorators in src/graphql/connection.ts (imported for its cursor encoding) need it first.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { createBillwerkClient, type BillwerkClient } from '../../src/billwerk/client.js';
import { type Contract } from '../../src/billwerk/dto.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { encodeCursor } from '../../src/graphql/relay/connection.js';
import { describeMachine } from '../lib/machine.js';
import { type Child, startChild } from '../lib/child.js';
import { gatewayNodeFlags } from '../lib/node-flags.js';
import { CLIENT_CPU, pin, SERVER_CPU } from '../lib/pin.js';
import { closedLoad, openLoad, type HttpTarget, type PhaseResult } from './load.js';
import {
  cacheStatsSchema,
  credentialsSchema,
  requestSummarySchema,
  SERVER_KINDS,
  upstreamCallsSchema,
  type ServerKind,
} from './protocol.js';
import { queriesResultSchema, type ModeResult, type PhaseSummary, type QueriesResult } from './result.js';
import { writeQueriesSection } from './render.js';
import { writeJson } from '../lib/docs.js';
import { figuresOf } from './figures.js';
import { addSlice, emptyTotals, machineBusyMs, summarizeTotals, type Sample } from './totals.js';
import { traceRounds, type Trace } from './trace.js';
import { answeredId } from '../../src/billwerk/id.js';
import { api } from '../../src/billwerk/route.js';

/** Fixed delay the emulator adds to every REST call, ms. */
const LATENCY_MS = 20;
/** One contract with its customer and plan: what a frontend's contract view asks for. */
const PAGE_SIZE = 1;
/**
 * Requests cycle through this many pages of contracts, each contract with a customer of its own: more
 * pages than requests in flight, so that neither side can answer one request with another's calls.
 */
const PAGES = 20;
/** Arrival rates of the open-model phases: light, and a steady load for one core. */
const OPEN_RATES_PER_SECOND = [20, 200];
const CLOSED_CONCURRENCY = 16;
/**
 * Each phase is cut into slices and the three servers take turns, so that whatever else this machine is
 * doing at the time falls on all of them alike. Each slice warms up before it measures.
 */
const SLICES = 3;
const SLICE_WARMUP_MS = 1_000;
const SLICE_MS = 3_000;
/** Requests traced one at a time per server. */
const TRACED_REQUESTS = 5;
/** Upstream sockets, for the gateway's billwerk client (its default) and the baseline alike. */
const UPSTREAM_CONNECTIONS = 32;

const CONTRACTS_QUERY = `query ContractsPage($first: Int!, $after: String) {
  contracts(first: $first, after: $after) {
    edges {
      node {
        id
        status
        customer { id displayName }
        planVariant { id name recurringFee { amount currency } plan { name } }
      }
    }
  }
}`;

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const resultsFile = path.join(repoRoot, 'bench/results/queries.json');

/** Page k of the cycle: the id of the last contract before it (none for the first page). */
type PageCursors = (string | undefined)[];

/** The gateway's API key for this run. */
const API_KEY = randomBytes(24).toString('base64url');

const pinning = !process.argv.includes('--no-pin');

function targetFor(kind: ServerKind, url: string, pages: PageCursors): HttpTarget {
  const after = (i: number) => pages[i % pages.length];
  if (kind === 'baseline') {
    return {
      origin: url,
      method: 'GET',
      request: (i) => {
        const id = after(i);
        return { path: `/contracts-page?first=${PAGE_SIZE}${id ? `&after=${id}` : ''}` };
      },
      ok: (status) => status === 200,
    };
  }
  return {
    origin: url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    request: (i) => {
      const id = after(i);
      const variables = { first: PAGE_SIZE, after: id ? encodeCursor(id) : null };
      return { path: '/graphql', body: JSON.stringify({ query: CONTRACTS_QUERY, variables }) };
    },
    // A GraphQL error answers 200 too; only a whole page counts.
    ok: (status, body) => status === 200 && !body.includes('"errors"'),
  };
}

const mapModes = <T>(f: (kind: ServerKind) => T) =>
  Object.fromEntries(SERVER_KINDS.map((kind) => [kind, f(kind)])) as Record<ServerKind, T>;

async function fetchOnce(target: HttpTarget, i: number): Promise<unknown> {
  const { path: requestPath, body } = target.request(i);
  const res = await fetch(`${target.origin}${requestPath}`, {
    method: target.method,
    headers: target.headers,
    body,
  });
  const text = await res.text();
  if (!target.ok(res.status, text))
    throw new Error(`${target.origin}${requestPath} answered ${res.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

/** New customers, each with one contract, on the seed's variants in turn. */
async function addContracts(billwerk: BillwerkClient, count: number): Promise<void> {
  const variants = Object.values(SEED_IDS.planVariants);
  const one = async (i: number) => {
    const order = await billwerk.orders.create({
      Customer: { FirstName: 'Bench', LastName: `Customer ${i}`, EmailAddress: `bench${i}@example.com` },
      Cart: { PlanVariantId: variants[i % variants.length]! },
    });
    await billwerk.orders.commit(answeredId(order.Id, 'Order.Id'), { PaymentMethod: 'InvoicePayment' });
  };
  const parallel = 16;
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, k) => one(i + k)));
  }
}

interface Server {
  child: Child;
  target: HttpTarget;
}

async function startServer(
  kind: ServerKind,
  emulator: Child,
  pages: PageCursors,
  pinned: boolean,
): Promise<Server> {
  const credentials = await emulator.call('credentials', credentialsSchema);
  const child = await startChild(
    path.join(here, 'server-process.js'),
    {
      kind,
      billwerkUrl: emulator.url,
      ...credentials,
      connections: UPSTREAM_CONNECTIONS,
      apiKey: API_KEY,
    },
    kind === 'baseline' ? [] : gatewayNodeFlags(),
  );
  if (pinned && !pin(child.pid, SERVER_CPU)) throw new Error(`could not pin the ${kind} server (taskset)`);
  return { child, target: targetFor(kind, child.url, pages) };
}

/**
 * Runs one phase in SLICES turns per server and adds each server's slices up. The order rotates from
 * turn to turn, so that no server always follows the same one.
 */
async function interleaved(
  name: string,
  emulator: Child,
  servers: Record<ServerKind, Server>,
  run: (target: HttpTarget, sample: () => Promise<Sample>) => Promise<PhaseResult<Sample>>,
): Promise<Record<ServerKind, PhaseSummary>> {
  log(name);
  const totals = mapModes(emptyTotals);
  for (let turn = 0; turn < SLICES; turn += 1) {
    for (let i = 0; i < SERVER_KINDS.length; i += 1) {
      const kind = SERVER_KINDS[(i + turn) % SERVER_KINDS.length]!;
      const { child, target } = servers[kind];
      const sample = async (): Promise<Sample> => {
        const [server, emulatorCpu] = await Promise.all([child.cpu(), emulator.cpu()]);
        const at = performance.now();
        return {
          server,
          emulator: emulatorCpu,
          loadGenerator: process.cpuUsage(),
          machineBusyMs: machineBusyMs(),
          at,
        };
      };
      await emulator.call('reset', z.unknown());
      const result = await run(target, sample);
      addSlice(totals[kind], result, await emulator.call('summary', requestSummarySchema));
    }
  }
  return mapModes((kind) => summarizeTotals(totals[kind]));
}

/** Warms a server up (the gateway's first request also fetches its OAuth token) and reads its answers. */
async function prepare(server: Server): Promise<unknown[]> {
  const answers = [await fetchOnce(server.target, 0), await fetchOnce(server.target, 1)];
  for (let i = 2; i < 2 * PAGES; i += 1) await fetchOnce(server.target, i);
  return answers;
}

/**
 * Requests sent one at a time, for their upstream calls: rounds from the server's own timings, the count
 * checked against the emulator's log. Pages the warm gateway has cached and the cold one has not.
 */
async function traceAlone(server: Server, emulator: Child): Promise<ModeResult['trace']> {
  const outcomes: (Trace & { emulatorCalls: number })[] = [];
  for (let i = 0; i < TRACED_REQUESTS; i += 1) {
    await emulator.call('reset', z.unknown());
    await server.child.call('record', z.unknown());
    await fetchOnce(server.target, i);
    const trace = traceRounds(await server.child.call('calls', upstreamCallsSchema));
    const summary = await emulator.call('summary', requestSummarySchema);
    outcomes.push({ ...trace, emulatorCalls: summary.total });
  }
  // Outcomes by how often they came up; the most frequent one is shown call by call.
  const key = (t: { calls: number; rounds: number; emulatorCalls: number }) =>
    `${t.calls}/${t.rounds}/${t.emulatorCalls}`;
  const seen = new Map<string, ModeResult['trace']['outcomes'][number]>();
  for (const { calls, rounds, emulatorCalls } of outcomes) {
    const entry = seen.get(key({ calls, rounds, emulatorCalls })) ?? {
      calls,
      rounds,
      emulatorCalls,
      times: 0,
    };
    entry.times += 1;
    seen.set(key(entry), entry);
  }
  const ranked = [...seen.values()].sort((x, y) => y.times - x.times);
  const typical = outcomes.find((t) => key(t) === key(ranked[0]!))!;
  return { calls: typical.calls, rounds: typical.rounds, byRound: typical.byRound, outcomes: ranked };
}

/** The ids that start each page of the cycle, and how many distinct customers the pages have. */
async function pageCursors(
  billwerk: BillwerkClient,
): Promise<{ cursors: PageCursors; total: number; customers: number }> {
  const contracts: Contract[] = [];
  for await (const page of billwerk.paginate<Contract>(api`/contracts`, undefined, { pageSize: 200 }))
    contracts.push(...page);
  const cursors: PageCursors = Array.from({ length: PAGES }, (_, k) =>
    k === 0 ? undefined : contracts[k * PAGE_SIZE - 1]!.Id,
  );
  const pageCustomers = Array.from(
    { length: PAGES },
    (_, k) => new Set(contracts.slice(k * PAGE_SIZE, (k + 1) * PAGE_SIZE).map((c) => c.CustomerId)).size,
  );
  return { cursors, total: contracts.length, customers: Math.min(...pageCustomers) };
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0]!;
  if (loadAtStart > os.availableParallelism() / 2) {
    log(`the machine is busy (load average ${loadAtStart.toFixed(2)}): expect noisy numbers, p99 most`);
  }
  const emulator = await startChild(path.join(here, 'emulator-process.js'), { latencyMs: LATENCY_MS });
  // The servers are pinned as they start; taskset missing there is an error, here it means no pinning.
  const pinned = pinning && pin(process.pid, CLIENT_CPU) && pin(emulator.pid, CLIENT_CPU);
  if (pinning && !pinned) log('could not pin with taskset: every process uses every core');
  try {
    log(`emulator on ${emulator.url}; adding ${PAGES * PAGE_SIZE} customers with a contract each`);
    const modes = {} as Record<ServerKind, ModeResult>;
    const credentials = await emulator.call('credentials', credentialsSchema);
    const billwerk = createBillwerkClient({ baseUrl: emulator.url, ...credentials });
    await addContracts(billwerk, PAGES * PAGE_SIZE);
    const { cursors, total, customers } = await pageCursors(billwerk);
    await billwerk.close();
    log(`${total} contracts; each of the ${PAGES} pages has ≥ ${customers} distinct customers`);

    const servers = {} as Record<ServerKind, Server>;
    try {
      for (const kind of SERVER_KINDS) servers[kind] = await startServer(kind, emulator, cursors, pinned);
      const answers = {} as Record<ServerKind, unknown[]>;
      const traces = {} as Record<ServerKind, ModeResult['trace']>;
      for (const kind of SERVER_KINDS) {
        answers[kind] = await prepare(servers[kind]);
        traces[kind] = await traceAlone(servers[kind], emulator);
        const outcomes = traces[kind].outcomes.map(
          (o) => `${o.calls} calls (emulator: ${o.emulatorCalls}) in ${o.rounds} rounds × ${o.times}`,
        );
        log(`${kind} alone: ${outcomes.join('; ')}`);
      }
      // The comparison means something only if both sides answer the same thing.
      for (const kind of SERVER_KINDS) {
        if (!isDeepStrictEqual(answers[kind], answers.baseline)) {
          throw new Error(
            `${kind} answered differently from the baseline:\n${JSON.stringify(answers[kind])}`,
          );
        }
      }
      const slice = { warmupMs: SLICE_WARMUP_MS, durationMs: SLICE_MS };
      const open: Record<ServerKind, PhaseSummary & { ratePerSecond: number }>[] = [];
      for (const ratePerSecond of OPEN_RATES_PER_SECOND) {
        const phase = await interleaved(
          `open model, ${ratePerSecond} req/s`,
          emulator,
          servers,
          (target, sample) => openLoad(target, { ...slice, sample, ratePerSecond }),
        );
        open.push(mapModes((kind) => ({ ratePerSecond, ...phase[kind] })));
      }
      const closed = await interleaved(
        `closed model, ${CLOSED_CONCURRENCY} in flight`,
        emulator,
        servers,
        (target, sample) => closedLoad(target, { ...slice, sample, concurrency: CLOSED_CONCURRENCY }),
      );
      for (const kind of SERVER_KINDS) {
        modes[kind] = {
          trace: traces[kind],
          open: open.map((phase) => phase[kind]),
          closed: {
            ...closed[kind],
            requestsPerCpuSecond: Math.round(1000 / closed[kind].serverCpuMsPerRequest),
          },
          cacheStats: await servers[kind].child.call('cacheStats', cacheStatsSchema),
        };
        const { latency } = modes[kind].open[0]!;
        log(
          `${kind}: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms at ${OPEN_RATES_PER_SECOND[0]} req/s; ` +
            `${modes[kind].closed.requestsPerCpuSecond} req per CPU-second`,
        );
      }
    } finally {
      await Promise.all(Object.values(servers).map((server) => server.child.close()));
    }

    // The baseline makes only the calls the data needs, each as soon as it can: its shortest chain is the
    // critical path (a disturbed trace can only look longer).
    const criticalPathRounds = Math.min(...modes.baseline.trace.outcomes.map((outcome) => outcome.rounds));
    const result: QueriesResult = queriesResultSchema.parse({
      date: new Date().toISOString(),
      machine: describeMachine(loadAtStart),
      setup: {
        latencyMs: LATENCY_MS,
        pageSize: PAGE_SIZE,
        contractsInEmulator: total,
        pages: PAGES,
        distinctCustomersPerPage: customers,
        criticalPathRounds,
        openRatesPerSecond: OPEN_RATES_PER_SECOND,
        closedConcurrency: CLOSED_CONCURRENCY,
        slices: SLICES,
        sliceWarmupMs: SLICE_WARMUP_MS,
        sliceMs: SLICE_MS,
        upstreamConnections: UPSTREAM_CONNECTIONS,
        pinned,
        query: CONTRACTS_QUERY,
      },
      modes,
      figures: figuresOf(modes, {
        latencyMs: LATENCY_MS,
        criticalPathRounds,
        openRatesPerSecond: OPEN_RATES_PER_SECOND,
        closedConcurrency: CLOSED_CONCURRENCY,
      }),
    });
    mkdirSync(path.dirname(resultsFile), { recursive: true });
    await writeJson(resultsFile, result);
    await writeQueriesSection(repoRoot, result);
    log(`wrote ${path.relative(repoRoot, resultsFile)} and docs/benchmarks.md`);
  } finally {
    await emulator.close();
  }
}

const startedAt = performance.now();
function log(line: string): void {
  const elapsed = ((performance.now() - startedAt) / 1000).toFixed(0).padStart(3);
  process.stdout.write(`[bench:queries ${elapsed} s] ${line}\n`);
}

await main();
