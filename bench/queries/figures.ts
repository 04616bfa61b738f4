// The table of docs/benchmarks.md's Queries section: each figure of the issue with its target, computed
// once from the run so that the JSON and the page cannot disagree.
import { type ServerKind } from './protocol.js';
import { type Figure, type ModeResult } from './result.js';

export interface FigureSetup {
  latencyMs: number;
  criticalPathRounds: number;
  openRatesPerSecond: number[];
  closedConcurrency: number;
}

/** "24.3 ms (1.21×)": a latency and its ratio to a critical path. */
const latencyCell = (ms: number, pathMs: number) => `${ms.toFixed(1)} ms (${(ms / pathMs).toFixed(2)}×)`;
const verdict = (ok: boolean): Figure['met'] => (ok ? 'yes' : 'no');

/**
 * Latency targets divide by the critical path: the cache-off rows by the query's (rounds of dependent
 * calls × delay), the warm rows by the one call the warm gateway still makes. Throughput targets divide
 * the gateway's requests per CPU-second by the baseline's.
 */
export function figuresOf(modes: Record<ServerKind, ModeResult>, setup: FigureSetup): Figure[] {
  const { baseline, 'gateway-cold': cold, 'gateway-warm': warm } = modes;
  const coldPath = setup.criticalPathRounds * setup.latencyMs;
  const warmPath = warm.trace.rounds * setup.latencyMs;
  const latencyRow = (
    figure: string,
    gateway: number,
    base: number,
    pathMs: number,
    target: number,
  ): Figure => ({
    figure,
    gateway: latencyCell(gateway, pathMs),
    baseline: latencyCell(base, coldPath),
    vsBaseline: `${(gateway / base).toFixed(2)}×`,
    ratio: `${(gateway / pathMs).toFixed(2)}× of ${pathMs} ms`,
    target: `≤ ${target.toFixed(2)}×`,
    met: verdict(gateway / pathMs <= target),
  });
  const throughputRow = (figure: string, gateway: number, base: number): Figure => ({
    figure,
    gateway: `${gateway} req/CPU-s`,
    baseline: `${base} req/CPU-s`,
    vsBaseline: `${(gateway / base).toFixed(2)}×`,
    ratio: `${(gateway / base).toFixed(2)}× of baseline`,
    target: '≥ 0.50×',
    met: verdict(gateway / base >= 0.5),
  });
  const latencyRows = setup.openRatesPerSecond.flatMap((rate, i) => {
    const [b, c, w] = [baseline.open[i]!.latency, cold.open[i]!.latency, warm.open[i]!.latency];
    return [
      latencyRow(`p50 latency, cache off, ${rate} req/s`, c.p50Ms, b.p50Ms, coldPath, 1.15),
      latencyRow(`p99 latency, cache off, ${rate} req/s`, c.p99Ms, b.p99Ms, coldPath, 1.3),
      latencyRow(`p50 latency, cache warm, ${rate} req/s`, w.p50Ms, b.p50Ms, warmPath, 1.15),
      latencyRow(`p99 latency, cache warm, ${rate} req/s`, w.p99Ms, b.p99Ms, warmPath, 1.3),
    ];
  });
  const inFlight = `${setup.closedConcurrency} in flight`;
  return [
    ...latencyRows,
    throughputRow(
      `throughput per core, cache off, ${inFlight}`,
      cold.closed.requestsPerCpuSecond,
      baseline.closed.requestsPerCpuSecond,
    ),
    throughputRow(
      `throughput per core, cache warm, ${inFlight}`,
      warm.closed.requestsPerCpuSecond,
      baseline.closed.requestsPerCpuSecond,
    ),
  ];
}
