// What a load phase measured, added up over the slices each server ran: latencies, completions, the
// CPU time of every process taking part, and the REST calls the emulator answered.
import os from 'node:os';
import { type CpuUsage } from '../lib/child.js';
import { type PhaseResult } from './load.js';
import { type RequestSummary } from './protocol.js';
import { type PhaseSummary } from './result.js';
import { round2, summarize } from '../lib/stats.js';

/** Taken at each edge of a measured window. */
export interface Sample {
  server: CpuUsage;
  emulator: CpuUsage;
  loadGenerator: CpuUsage;
  /** Busy CPU time of the whole machine, ms (os.cpus()). */
  machineBusyMs: number;
  /** performance.now() */
  at: number;
}

/** One phase's slices of one server, added up. */
export interface Totals {
  latencies: number[];
  errors: number;
  completed: number;
  sent: number;
  wallMs: number;
  cpuMs: { server: number; emulator: number; loadGenerator: number; machine: number };
  upstream: RequestSummary;
}

export const machineBusyMs = () =>
  os.cpus().reduce((sum, { times: t }) => sum + t.user + t.nice + t.sys + t.irq, 0);
const cpuMs = (a: CpuUsage, b: CpuUsage) => (b.user - a.user + (b.system - a.system)) / 1000;

export const emptyTotals = (): Totals => ({
  latencies: [],
  errors: 0,
  completed: 0,
  sent: 0,
  wallMs: 0,
  cpuMs: { server: 0, emulator: 0, loadGenerator: 0, machine: 0 },
  upstream: { total: 0, token: 0, contractsPage: 0, customer: 0, productInfo: 0, other: 0, errors: 0 },
});

export function addSlice(totals: Totals, result: PhaseResult<Sample>, upstream: RequestSummary): void {
  const { start, end } = result.samples;
  totals.latencies.push(...result.latencies);
  totals.errors += result.errors;
  totals.completed += result.completedInWindow;
  totals.sent += result.requestsSent;
  totals.wallMs += end.at - start.at;
  totals.cpuMs.server += cpuMs(start.server, end.server);
  totals.cpuMs.emulator += cpuMs(start.emulator, end.emulator);
  totals.cpuMs.loadGenerator += cpuMs(start.loadGenerator, end.loadGenerator);
  totals.cpuMs.machine += end.machineBusyMs - start.machineBusyMs;
  for (const key of Object.keys(upstream) as (keyof RequestSummary)[]) totals.upstream[key] += upstream[key];
}

export function summarizeTotals(t: Totals): PhaseSummary {
  const { server, emulator, loadGenerator, machine } = t.cpuMs;
  const sent = Math.max(1, t.sent);
  return {
    latency: summarize(t.latencies),
    errors: t.errors,
    throughputPerSecond: round2((t.completed / t.wallMs) * 1000),
    serverCpuMsPerRequest: round2(server / Math.max(1, t.completed)),
    cpuShare: {
      server: round2(server / t.wallMs),
      emulator: round2(emulator / t.wallMs),
      loadGenerator: round2(loadGenerator / t.wallMs),
      others: round2(Math.max(0, machine - server - emulator - loadGenerator) / t.wallMs),
    },
    // Every call of a slice, warm-up included, over every request of the slice.
    upstreamPerRequest: {
      total: round2((t.upstream.total - t.upstream.token) / sent),
      contractsPage: round2(t.upstream.contractsPage / sent),
      customer: round2(t.upstream.customer / sent),
      productInfo: round2(t.upstream.productInfo / sent),
    },
  };
}
