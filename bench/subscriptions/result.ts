// The shape of bench/results/subscriptions.json: written by main.ts, read back by its renderer
// (the file is a boundary, so it is parsed, not cast).
import { z } from 'zod';
import { machineSchema } from '../lib/machine.js';
import { latencySummarySchema } from '../lib/stats.js';
import { memorySchema } from './protocol.js';

const latency = latencySummarySchema;

/** One server, one number of subscribers, EVENTS events. */
const deliverySchema = z.object({
  subscribers: z.number(),
  events: z.number(),
  /** events × subscribers, received (distinct), and the difference. */
  expected: z.number(),
  received: z.number(),
  lost: z.number(),
  duplicates: z.number(),
  errors: z.number(),
  /** Every receipt: event sent → `next` frame received. */
  latency,
  /** Per event, its first and its last receipt anywhere (the fan-out starts, the fan-out ends). */
  firstReceipt: latency,
  lastReceipt: latency,
  /** The sender's POST, sent → answered (the gateway answers once the event is stored). */
  postMs: latency,
  /** CPU time of the server process over the measured events, per event. */
  serverCpuMsPerEvent: z.number(),
  /** CPU time of all client processes together, per event. */
  clientCpuMsPerEvent: z.number(),
  /** Bytes of the frame each subscriber received. */
  frameBytes: z.number(),
  /** Gateway only: executions and shared results per event, each event's count taken alone. */
  executionsPerEvent: z.object({ min: z.number(), max: z.number(), mean: z.number() }).nullable(),
  sharedPerEvent: z.object({ min: z.number(), max: z.number(), mean: z.number() }).nullable(),
  /** Absent from results written before the fan-out counted serialisations. */
  serialisationsPerEvent: z
    .object({ min: z.number(), max: z.number(), mean: z.number() })
    .nullable()
    .optional(),
});
export type Delivery = z.infer<typeof deliverySchema>;

const memoryRunSchema = z.object({
  /** Subscriptions asked for and subscriptions the server had open when memory was read. */
  requested: z.number(),
  open: z.number(),
  sockets: z.number(),
  connectMs: z.number(),
  before: memorySchema,
  after: memorySchema,
  /** After every socket closed again: what did not come back. */
  afterClose: memorySchema,
  heapPerSubscriptionBytes: z.number(),
  rssPerSubscriptionBytes: z.number(),
});
export type MemoryRun = z.infer<typeof memoryRunSchema>;

const figureSchema = z.object({
  figure: z.string(),
  gateway: z.string(),
  baseline: z.string(),
  /** Gateway over plain ws. */
  ratio: z.string(),
  target: z.string(),
  met: z.string(),
});
export type Figure = z.infer<typeof figureSchema>;

export const subscriptionsResultSchema = z.object({
  date: z.string(),
  machine: machineSchema.extend({ openFilesLimit: z.string() }),
  setup: z.object({
    events: z.number(),
    warmupEvents: z.number(),
    intervalMs: z.number(),
    /** Turns per server and phase, the order alternating between gateway and plain ws. */
    turns: z.number(),
    clientProcesses: z.number(),
    query: z.string(),
    secondQuery: z.string(),
    /** Largest |clock offset| + uncertainty between the sender and any client process, ms. */
    clockSkewMs: z.number(),
    /** Each server pinned to one CPU (taskset), the clients to the other; absent from older results. */
    pinned: z.boolean().optional(),
  }),
  figures: z.array(figureSchema),
  latency: z.array(z.object({ subscribers: z.number(), gateway: deliverySchema, baseline: deliverySchema })),
  /** The same subscribers split over two distinct operations: two groups. */
  groups: deliverySchema,
  memory: z.object({
    gateway: memoryRunSchema,
    /** The same number of subscriptions, many per connection: the subscription without its socket. */
    multiplexed: memoryRunSchema.extend({ perSocket: z.number() }),
    baseline: memoryRunSchema,
  }),
});
export type SubscriptionsResult = z.infer<typeof subscriptionsResultSchema>;
