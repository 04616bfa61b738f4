// The shape of bench/results/scale-out.json: one phase per instance count, parsed before rendering.
import { z } from 'zod';
import { latencySummarySchema } from '../lib/stats.js';
import { machineSchema } from '../lib/machine.js';

const phaseSchema = z.object({
  instances: z.number(),
  subscribers: z.number(),
  events: z.number(),
  delivered: z.number(),
  latency: latencySummarySchema,
  wallSeconds: z.number(),
  gatewayCpuSeconds: z.number(),
  deliveredPerSecond: z.number(),
  deliveredPerCpuSecond: z.number(),
});
export type ScaleOutPhase = z.infer<typeof phaseSchema>;

export const scaleOutResultSchema = z.object({
  at: z.iso.datetime(),
  /** Milliseconds between two webhooks. */
  intervalMs: z.number(),
  /** The machine during the run; runs before it was recorded carry a `note` on the load instead. */
  machine: machineSchema.optional(),
  /** What the person who ran it saw of the machine's load, for runs without `machine`. */
  note: z.string().optional(),
  results: z.tuple([phaseSchema, phaseSchema]),
});
export type ScaleOutResult = z.infer<typeof scaleOutResultSchema>;
