// What the subscription bench's processes tell each other: the JSON each child is started with and the
// shapes of its answers (they cross a process boundary, so they are parsed). No child entry point is
// imported by another module; they share this file instead.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';

/**
 * Milliseconds on a time base every process on this machine shares: the wall clock at process start
 * plus the monotonic clock since. A sender's `SentAt` and a receiver's receipt time can be subtracted.
 */
export const sharedNow = (): number => performance.timeOrigin + performance.now();

/** The HTTP Basic credentials the bench's gateway requires on its webhook endpoint. */
export const BENCH_WEBHOOK_AUTH = { user: 'bench', password: 'bench-webhook-secret' } as const;

/**
 * GATEWAY_ADMIN_KEY of the bench's gateway. Every subscriber presents it in `connectionParams`, so all
 * of them are one principal and, sending one operation, one group (groups are per principal).
 */
export const BENCH_ADMIN_KEY = 'bench-admin-key-not-a-secret';

/** The event name every bench webhook carries, and that every subscription filters on. */
export const BENCH_EVENT = 'BenchEvent';

export const memorySchema = z.object({
  rss: z.number(),
  heapTotal: z.number(),
  heapUsed: z.number(),
  external: z.number(),
  arrayBuffers: z.number(),
});
export type Memory = z.infer<typeof memorySchema>;

export const gatewayConfigSchema = z.object({
  /** Where `profileStop` writes CPU profiles; null: no profiling. */
  profileDir: z.string().nullable(),
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/**
 * The gateway's `fanout` stats: executions run, results served to a group from one of them, and results
 * serialised (once per group and event).
 */
export const fanoutCountersSchema = z.object({
  executions: z.number(),
  shared: z.number(),
  serialisations: z.number(),
});
export type FanoutCounters = z.infer<typeof fanoutCountersSchema>;

export const gatewayStatsSchema = z.object({
  /** Open event streams, and streams opened and closed since start. */
  hub: z.object({ size: z.number(), opened: z.number(), closed: z.number() }),
  fanout: fanoutCountersSchema,
  memory: memorySchema,
});
export type GatewayStats = z.infer<typeof gatewayStatsSchema>;

export const baselineStatsSchema = z.object({
  /** Open WebSockets. */
  clients: z.number(),
  /** Broadcasts done since start. */
  broadcasts: z.number(),
  memory: memorySchema,
});
export type BaselineStats = z.infer<typeof baselineStatsSchema>;

export const CLIENT_PROTOCOLS = ['graphql-transport-ws', 'plain'] as const;

export const operationSchema = z.object({ query: z.string() });

export const clientConfigSchema = z.object({
  /** ws:// URL to connect to. */
  url: z.string(),
  /** graphql-transport-ws: connection_init, then a subscribe per subscription; plain: just listen. */
  protocol: z.enum(CLIENT_PROTOCOLS),
  sockets: z.number().int().nonnegative(),
  /** Subscriptions per socket (graphql-transport-ws only). */
  subscriptionsPerSocket: z.number().int().positive(),
  /** Sent with graphql-transport-ws's `connection_init` (the gateway authenticates there). */
  connectionParams: z.record(z.string(), z.string()),
  /** Subscription k of the process uses operations[k % operations.length]. */
  operations: z.array(operationSchema).min(1),
  /** Handshakes in flight at once, so the server's accept backlog never overflows. */
  connectConcurrency: z.number().int().positive(),
  /** The `connect` call gives up after this long. */
  connectTimeoutMs: z.number().int().positive(),
});
export type ClientConfig = z.infer<typeof clientConfigSchema>;

export const connectReportSchema = z.object({
  opened: z.number(),
  failed: z.number(),
  /** Subscriptions sent (after connection_ack), or sockets open for plain. */
  subscribed: z.number(),
  firstError: z.string().nullable(),
  ms: z.number(),
});
export type ConnectReport = z.infer<typeof connectReportSchema>;

export const progressSchema = z.object({
  /** `next` frames carrying a bench event, since the last reset. */
  received: z.number(),
  /** error frames, GraphQL errors and unparseable frames, since start. */
  errors: z.number(),
  /** Sockets that closed without the client asking. */
  unexpectedCloses: z.number(),
});
export type Progress = z.infer<typeof progressSchema>;

export const eventTimesSchema = z.object({
  n: z.number(),
  count: z.number(),
  /** Latency of the first and the last receipt of this event in the process, ms. */
  firstMs: z.number(),
  lastMs: z.number(),
});

export const samplesSchema = z.object({
  /** Webhook sent → `next` frame received, ms, one per receipt since the last reset. */
  latencies: z.array(z.number()),
  perEvent: z.array(eventTimesSchema),
  /** Distinct (subscription, event) pairs received, and receipts of a pair already seen. */
  unique: z.number(),
  duplicates: z.number(),
  errors: z.number(),
  unexpectedCloses: z.number(),
  /** One `next` frame exactly as received, for the baseline to broadcast the same bytes. */
  frame: z.string().nullable(),
});
export type Samples = z.infer<typeof samplesSchema>;
