// The shape of bench/results/queries.json: written by main.ts, read back by the docs renderer (the
// file is a boundary, so it is parsed, not cast).
import { z } from 'zod';
import { machineSchema } from '../lib/machine.js';
import { latencySummarySchema } from '../lib/stats.js';
import { SERVER_KINDS } from './protocol.js';

const latency = latencySummarySchema;

/**
 * Upstream work of single requests sent alone (trace.ts): the calls and rounds of the most frequent
 * outcome, and every outcome seen with the calls the emulator counted for it.
 */
const trace = z.object({
  calls: z.number(),
  rounds: z.number(),
  byRound: z.array(z.object({ round: z.number(), calls: z.array(z.string()) })),
  outcomes: z.array(
    z.object({ calls: z.number(), rounds: z.number(), emulatorCalls: z.number(), times: z.number() }),
  ),
});

const phase = z.object({
  latency,
  errors: z.number(),
  throughputPerSecond: z.number(),
  /** Server CPU time per completed request, ms. */
  serverCpuMsPerRequest: z.number(),
  /** Cores used by the server, the emulator, the load generator and everything else on the machine. */
  cpuShare: z.object({
    server: z.number(),
    emulator: z.number(),
    loadGenerator: z.number(),
    others: z.number(),
  }),
  /** REST calls the emulator answered per request sent, over the whole phase. */
  upstreamPerRequest: z.object({
    total: z.number(),
    contractsPage: z.number(),
    customer: z.number(),
    productInfo: z.number(),
  }),
});

const mode = z.object({
  trace,
  /** The open-model phases, one per arrival rate. */
  open: z.array(phase.extend({ ratePerSecond: z.number() })),
  /** The closed-loop phase at saturation. */
  closed: phase.extend({ requestsPerCpuSecond: z.number() }),
  cacheStats: z.object({ hits: z.number(), misses: z.number(), shared: z.number() }).nullable(),
});

const figure = z.object({
  figure: z.string(),
  gateway: z.string(),
  baseline: z.string(),
  /** Gateway over baseline. */
  vsBaseline: z.string(),
  /** The ratio the target is about. */
  ratio: z.string(),
  target: z.string(),
  met: z.enum(['yes', 'no', '—']),
});
export type Figure = z.infer<typeof figure>;

export const queriesResultSchema = z.object({
  date: z.string(),
  machine: machineSchema,
  setup: z.object({
    latencyMs: z.number(),
    pageSize: z.number(),
    contractsInEmulator: z.number(),
    /** Requests cycle through this many different pages, so concurrent requests rarely ask the same. */
    pages: z.number(),
    distinctCustomersPerPage: z.number(),
    criticalPathRounds: z.number(),
    openRatesPerSecond: z.array(z.number()),
    closedConcurrency: z.number(),
    /** Turns each server gets per phase, each a warm-up and then a measured slice. */
    slices: z.number(),
    sliceWarmupMs: z.number(),
    sliceMs: z.number(),
    upstreamConnections: z.number(),
    /** Whether each server ran pinned to one CPU (taskset), the emulator and the load on the other. */
    pinned: z.boolean().default(false),
    query: z.string(),
  }),
  modes: z.record(z.enum(SERVER_KINDS), mode),
  figures: z.array(figure),
});
export type QueriesResult = z.infer<typeof queriesResultSchema>;
export type ModeResult = z.infer<typeof mode>;
export type PhaseSummary = z.infer<typeof phase>;
