// The soak's result file (bench/results/soak.json): the setup, one row per minute, the totals and the
// targets the run is judged by.
import { z } from 'zod';
import { machineSchema } from '../lib/machine.js';
import { latencySummarySchema } from '../lib/stats.js';
import { gatewaySampleSchema, subscribersSampleSchema } from './protocol.js';

export const minuteSchema = z.object({
  minute: z.number().int(),
  webhooks: z.object({ ack: latencySummarySchema, errors: z.number() }),
  queries: z.object({ latency: latencySummarySchema, errors: z.number() }),
  subscribers: subscribersSampleSchema,
  gateway: gatewaySampleSchema,
});
export type Minute = z.infer<typeof minuteSchema>;

export const soakResultSchema = z.object({
  date: z.string(),
  machine: machineSchema,
  setup: z.object({
    minutes: z.number(),
    latencyMs: z.number(),
    criticalPathMs: z.number(),
    contracts: z.number(),
    webhooksPerSecond: z.number(),
    queriesPerSecond: z.number(),
    sockets: z.number(),
    /** How fast the sockets connected before the measured minutes; absent: all at once (earlier runs). */
    socketsPerSecond: z.number().optional(),
    subscriptionsPerSocket: z.number(),
    churning: z.number(),
    reconnectsPerSecond: z.number(),
    maxEvents: z.number(),
    pinned: z.boolean(),
    nodeFlags: z.array(z.string()),
    note: z.string().optional(),
  }),
  /** The same queries alone, before the mixed load: what the gateway answers on this machine unloaded. */
  queryOnly: latencySummarySchema,
  minutes: z.array(minuteSchema),
  totals: z.object({
    webhooksSent: z.number(),
    webhooksFailed: z.number(),
    /** Events still unpublished when the views were read (their deliveries count as lost). */
    pendingAtEnd: z.number().default(0),
    /** Deliveries the subscriptions had to get (by the per-contract numbers), and what they got. */
    expected: z.number(),
    received: z.number(),
    lost: z.number(),
    duplicated: z.number(),
    outOfOrder: z.number(),
    resumedSessions: z.number(),
    /** Heap after a forced full collection when the load stopped, and the slope of the heap after the
     * gateway's own full collections from the minute the bound was reached, MB and MB/min. */
    heapAtEndMb: z.number(),
    heapSlopeMbPerMin: z.number().nullable(),
    /** Disk growth per minute from the first minute at the bound to the end, and the pages per event. */
    boundReachedMinute: z.number().nullable(),
    diskSlopeMbPerMin: z.number().nullable(),
    bytesPerEvent: z.number().nullable(),
    pruneStepMaxMs: z.number(),
    allocationProfile: z.string().nullable(),
  }),
});
export type SoakResult = z.infer<typeof soakResultSchema>;
