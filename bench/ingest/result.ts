// The ingest bench's result file (bench/results/ingest.json): per rate, the gateway's webhook endpoint and
// the plain Fastify + SQLite baseline measured in the same run.
import { z } from 'zod';
import { machineSchema } from '../lib/machine.js';
import { latencySummarySchema } from '../lib/stats.js';

export const burstSchema = z.object({
  /** Webhooks answered 2xx, and how many failed or went unanswered. */
  acked: z.number(),
  errors: z.number(),
  /** Acknowledgement latency, timed from when each webhook was due (open model). */
  ack: latencySummarySchema,
  /** The server's CPU time (user + system) from the burst's start until all was published, per webhook acked. */
  cpuMsPerWebhook: z.number(),
  /** From the burst's end until no event waited to be published (the baseline publishes nothing: 0). */
  publishedAfterMs: z.number().nullable(),
  /** Events still unpublished when the burst ended. */
  pendingAtEnd: z.number(),
});
export type Burst = z.infer<typeof burstSchema>;

export const rateRunSchema = z.object({
  perSecond: z.number(),
  gateway: burstSchema,
  baseline: burstSchema,
});

export const ingestResultSchema = z.object({
  date: z.string(),
  machine: machineSchema,
  /** The git commit measured, and whether the working tree differed from it. */
  commit: z.string(),
  setup: z.object({
    burstSeconds: z.number(),
    contracts: z.number(),
    upstreamLatencyMs: z.number(),
    pinned: z.boolean(),
  }),
  rates: z.array(rateRunSchema),
  note: z.string().optional(),
});
export type IngestResult = z.infer<typeof ingestResultSchema>;
