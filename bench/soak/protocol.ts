// What the soak's processes tell each other over IPC (parsed on arrival: each end is another process).
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { latencySummarySchema } from '../lib/stats.js';

/** Milliseconds on a clock every process of the run reads alike (the sender stamps, subscribers subtract). */
export const sharedNow = (): number => performance.timeOrigin + performance.now();

export const SOAK_ADMIN_KEY = 'soak-admin-key-not-a-secret';
export const SOAK_WEBHOOK_AUTH = { user: 'soak', password: 'soak-webhook-secret' } as const;

/** The emulator child: REST latency and how many contracts (each with a customer of its own) to create. */
export const emulatorConfigSchema = z.object({ latencyMs: z.number(), contracts: z.number().int() });
export const emulatorSetupSchema = z.object({
  contracts: z.array(z.object({ id: z.string(), customerId: z.string() })),
  clientId: z.string(),
  clientSecret: z.string(),
});
export type EmulatorSetup = z.infer<typeof emulatorSetupSchema>;

export const gatewayConfigSchema = z.object({
  billwerkUrl: z.string(),
  clientId: z.string(),
  clientSecret: z.string(),
  maxEvents: z.number().int(),
  /** Extra gateway settings (environment variables), e.g. to try a setting without editing code. */
  env: z.record(z.string(), z.string()),
  /** Where heap snapshots and allocation profiles go when asked for; null: none. */
  profileDir: z.string().nullable(),
  /**
   * The allocation profile keeps only objects that outlived a young-generation collection: what fills the
   * old generation and so drives its full collections.
   */
  profileSurvivors: z.boolean(),
});

/** What the gateway process saw since its previous sample. */
export const gatewaySampleSchema = z.object({
  rssMb: z.number(),
  heapUsedMb: z.number(),
  /** Heap used right after the last full (mark-compact) collection of the window; null: none ran. */
  heapAfterMajorGcMb: z.number().nullable(),
  majorGcs: z.number(),
  majorGcMaxMs: z.number(),
  minorGcs: z.number(),
  minorGcTotalMs: z.number(),
  /** Event-loop delay over the window (monitorEventLoopDelay), ms. */
  loopDelay: z.object({ p50Ms: z.number(), p99Ms: z.number(), maxMs: z.number() }),
  /** Everything in DATA_DIR (database, WAL, shared memory), bytes. */
  diskBytes: z.number(),
  /** The database's pages that hold data (free pages aside), bytes. */
  usedBytes: z.number(),
  retained: z.number(),
  pending: z.number(),
  oldestRetainedAgeS: z.number().nullable(),
  pruneSteps: z.object({ count: z.number(), removed: z.number(), p99Ms: z.number(), maxMs: z.number() }),
  cpuMs: z.number(),
});
export type GatewaySample = z.infer<typeof gatewaySampleSchema>;

/** A full collection's outcome: heap used after it, MB. */
export const forcedGcSchema = z.object({ heapUsedMb: z.number() });

export const subscribersConfigSchema = z.object({
  wsUrl: z.string(),
  contracts: z.array(z.string()),
  sockets: z.number().int(),
  /** How fast the sockets connect at the start, before the measured minutes. */
  socketsPerSecond: z.number(),
  subscriptionsPerSocket: z.number().int(),
  /** Sockets that drop and reconnect (the rest stay connected). */
  churning: z.number().int(),
  reconnectsPerSecond: z.number(),
});

export const subscribersSampleSchema = z.object({
  delivery: latencySummarySchema,
  duplicates: z.number(),
  outOfOrder: z.number(),
  errors: z.number(),
  reconnects: z.number(),
  resumed: z.number(),
  open: z.number(),
});
export type SubscribersSample = z.infer<typeof subscribersSampleSchema>;

/**
 * One subscription's unbroken view of a contract: from the first change it saw to the last, by the
 * per-contract number the sender gives each change. A resumed subscription keeps its record across the
 * reconnect (it must miss nothing); a fresh one starts a new record.
 */
export const trackSchema = z.object({
  contract: z.number().int(),
  first: z.number().int(),
  last: z.number().int(),
  unique: z.number().int(),
  /** Open until the end of the run (so it must have everything the sender sent after `first`). */
  open: z.boolean(),
  resumed: z.boolean(),
});
export type Track = z.infer<typeof trackSchema>;
export const tracksSchema = z.array(trackSchema);

/** One delivery of a change, as a subscription's `next` handler saw it. */
export const deliverySchema = z.object({
  /** The socket's slot and how many times that slot had connected before this socket. */
  socket: z.number().int(),
  generation: z.number().int(),
  /** The publication sequence the subscription resumed after (null: not resumed). */
  after: z.number().int().nullable(),
  cursor: z.number().int(),
  /** Milliseconds since the subscription was sent, and whether its socket had been dropped by then. */
  atMs: z.number(),
  afterDrop: z.boolean(),
});
export type Delivery = z.infer<typeof deliverySchema>;

/**
 * A change a view got again, or older than the first it got: this delivery, the earlier one of the same
 * change and the view's latest before it (each null when not in the view's memory).
 */
export const repeatSchema = trackSchema.pick({ contract: true, first: true, last: true }).extend({
  soakSeq: z.number().int(),
  earlier: deliverySchema.nullable(),
  latest: deliverySchema.nullable(),
  later: deliverySchema,
});
export type Repeat = z.infer<typeof repeatSchema>;
export const repeatsSchema = z.array(repeatSchema);
