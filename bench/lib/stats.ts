// Latency summaries computed from the raw samples (sorted once, nearest-rank percentiles): with at most a
// few tens of thousands of samples per phase there is no need for a histogram's approximation.
import { z } from 'zod';

/** A latency summary as every bench result file records it. */
export const latencySummarySchema = z.object({
  count: z.number(),
  meanMs: z.number(),
  minMs: z.number(),
  p50Ms: z.number(),
  p90Ms: z.number(),
  p99Ms: z.number(),
  maxMs: z.number(),
});
export type LatencySummary = z.infer<typeof latencySummarySchema>;

/** Nearest-rank percentile of ascending `sorted` samples, `q` in (0, 1]. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    count: sorted.length,
    meanMs: round(sorted.length ? sum / sorted.length : Number.NaN),
    minMs: round(sorted[0] ?? Number.NaN),
    p50Ms: round(percentile(sorted, 0.5)),
    p90Ms: round(percentile(sorted, 0.9)),
    p99Ms: round(percentile(sorted, 0.99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** Two decimals, for figures in results and docs. */
export const round2 = (value: number) => Math.round(value * 100) / 100;
