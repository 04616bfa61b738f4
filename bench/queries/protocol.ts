// What the orchestrator and its child processes tell each other: the JSON each child is started with
// and the shapes of the answers it gives. Shared here so that no module imports a child's entry point.
import { z } from 'zod';

export const emulatorConfigSchema = z.object({
  /** Fixed delay the emulator adds to every REST and OAuth call, ms. */
  latencyMs: z.number().min(0),
});

export const credentialsSchema = z.object({ clientId: z.string(), clientSecret: z.string() });

/** Calls the emulator answered since its last reset, by what they read. */
export const requestSummarySchema = z.object({
  total: z.number(),
  token: z.number(),
  contractsPage: z.number(),
  customer: z.number(),
  productInfo: z.number(),
  other: z.number(),
  errors: z.number(),
});
export type RequestSummary = z.infer<typeof requestSummarySchema>;

/** One upstream call as its sender saw it; times in the sender's `performance.now()` ms. */
export const upstreamCallSchema = z.object({
  method: z.string(),
  /** Path (with query) below the API root, ids included. */
  path: z.string(),
  startedAt: z.number(),
  endedAt: z.number(),
});
export type UpstreamCall = z.infer<typeof upstreamCallSchema>;
export const upstreamCallsSchema = z.array(upstreamCallSchema);

export const SERVER_KINDS = ['baseline', 'gateway-cold', 'gateway-warm'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export const serverConfigSchema = z.object({
  kind: z.enum(SERVER_KINDS),
  /** The emulator's base URL (without /api/v1). */
  billwerkUrl: z.string(),
  clientId: z.string(),
  clientSecret: z.string(),
  /** Upstream connections per origin, the same for the gateway's client and the baseline. */
  connections: z.number().int().positive(),
  /** The gateway's callers send it as `Authorization: Bearer <apiKey>` (a readonly key); the baseline ignores it. */
  apiKey: z.string(),
});

export const cacheStatsSchema = z
  .object({ hits: z.number(), misses: z.number(), shared: z.number() })
  .nullable();
