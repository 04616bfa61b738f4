// createEmulator(): an embedded billwerk (REST API v1, OAuth, webhooks, lifecycle on a movable clock).
// Wires state, lifecycle, webhook sender and HTTP server together; every option is defaulted once here.
import pino, { type Logger } from 'pino';
import { clockCore, createClock, type ClockCore, type EmulatorClock } from './clock.js';
import { type Ctx } from './domain/context.js';
import { nextDueAt, runDue } from './domain/schedule.js';
import { type Api } from './http/api.js';
import { createFaults, type FaultRule } from './http/faults.js';
import { createRequestLog, type RequestRecord } from './http/requests.js';
import { buildServer } from './http/server.js';
import { createIdSource, createNodesIdSource, type IdSource } from './ids.js';
import { SEED_IDS, seed } from './seed.js';
import { createState, storeView, type EmulatorStore, type State } from './store.js';
import { createTokenStore } from './tokens.js';
import { createWebhookSender, type WebhookDeliveryOptions, type WebhookSender } from './webhooks.js';

export type { FaultRule, RequestRecord, EmulatorClock, EmulatorStore };

export interface EmulatorOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** OAuth client credentials accepted at /oauth/token. @default { clientId: 'emulator', clientSecret: 'emulator-secret' } */
  credentials?: { clientId: string; clientSecret: string };
  /** Seconds an issued token is valid, measured on the emulated clock; sent as expires_in. @default 3600 */
  tokenTtlSeconds?: number;
  /** The emulated clock; must come from createClock(). @default createClock({ mode: 'system' }) */
  clock?: EmulatorClock;
  /** Load the demo catalogue, customers and contracts (seed.ts). @default true */
  seed?: boolean;
  /** Fixed delay added to every REST and OAuth call, ms (for benchmarks). @default 0 */
  latencyMs?: number;
  /** Outgoing webhook delivery. @defaults baseDelayMs 40000, factor 2, maxRetries 12, timeoutMs 10000 */
  webhooks?: Partial<WebhookDeliveryOptions>;
  /** pino logger. @default silent */
  logger?: Logger;
  /** How many calls the request log (`requests`) keeps; the oldest go first. @default 10000 */
  requestLogSize?: number;
  /**
   * The middle 5 bytes of every ObjectId the emulator allocates, as 10 hex digits. Two emulators with
   * the same value, the same clock start and the same calls at the same emulated times allocate the same
   * ids, so their webhooks and state compare byte for byte. @default 10 random hex digits (as MongoDB)
   */
  idProcessPart?: string;
  /**
   * billwerk's several servers, simulated: each ObjectId is made on one of these process parts (10 hex
   * digits each), in a fixed order without period, each with its own counter, so ids made in one second
   * do not sort in the order they were made (ids.ts createNodesIdSource). Given with `idProcessPart`, it
   * is refused.
   * @default one process: `idProcessPart`
   */
  idProcessParts?: readonly string[];
}

export interface Emulator {
  /** http://host:port */
  url: string;
  /** url + '/api/v1' */
  apiUrl: string;
  credentials: { clientId: string; clientSecret: string };
  clock: EmulatorClock;
  /** Read access to entities (copies), for tests and tools. */
  store: EmulatorStore;
  faults: { inject(rule: FaultRule): void; clear(): void };
  /** The calls under /api/v1 and /oauth the emulator answered (the newest `requestLogSize`). */
  requests: {
    list(): RequestRecord[];
    count(filter?: { method?: string; path?: string | RegExp }): number;
    reset(): void;
  };
  /** Every issued token becomes invalid: the next call with one answers 401. */
  revokeTokens(): void;
  webhooks: {
    /** Resolves when no outgoing delivery is pending, in flight or waiting for a retry. */
    idle(): Promise<void>;
  };
  close(): Promise<void>;
}

function resolveOptions(options: EmulatorOptions) {
  return Object.freeze({
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    credentials: Object.freeze({
      ...(options.credentials ?? { clientId: 'emulator', clientSecret: 'emulator-secret' }),
    }),
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    clock: options.clock ?? createClock({ mode: 'system' }),
    seed: options.seed ?? true,
    latencyMs: options.latencyMs ?? 0,
    webhooks: Object.freeze({
      baseDelayMs: options.webhooks?.baseDelayMs ?? 40_000,
      factor: options.webhooks?.factor ?? 2,
      maxRetries: options.webhooks?.maxRetries ?? 12,
      timeoutMs: options.webhooks?.timeoutMs ?? 10_000,
    }),
    logger: options.logger ?? pino({ level: 'silent' }),
    idProcessPart: options.idProcessPart,
    idProcessParts: options.idProcessParts ? Object.freeze([...options.idProcessParts]) : undefined,
  });
}

type ResolvedOptions = ReturnType<typeof resolveOptions>;

/** The ids the options ask for: made on one process part, or on billwerk's several servers. */
function idSource(config: ResolvedOptions): IdSource {
  if (config.idProcessPart !== undefined && config.idProcessParts !== undefined) {
    throw new TypeError('createEmulator: give idProcessPart or idProcessParts, not both');
  }
  return config.idProcessParts
    ? createNodesIdSource(config.idProcessParts)
    : createIdSource(config.idProcessPart);
}

/**
 * Where the state changes: each operation, and each lifecycle job the clock finds due, runs at one
 * emulated instant and hands its notices to the webhook sender. `detach` takes the jobs off the clock.
 */
function createRunner(
  clock: EmulatorClock,
  core: ClockCore,
  state: State,
  ids: IdSource,
  sender: WebhookSender,
): Pick<Api, 'run'> & { detach: () => void } {
  const perform = <T>(now: number, operation: (ctx: Ctx) => T): T => {
    const ctx: Ctx = { state, now, ids, outbox: [] };
    try {
      return operation(ctx);
    } finally {
      // Notices of work done before a failure still describe real changes.
      sender.publish(ctx.outbox);
    }
  };
  const detach = core.attach({
    nextDueAt: () => nextDueAt(state),
    runDue: (at) => perform(at, (ctx) => runDue(ctx, at)),
  });
  // An operation happens at one instant, after everything due by then: on the system clock time moves
  // between the request's catch-up and the handler, and work due in that gap must not follow the call.
  const run = <T>(operation: (ctx: Ctx) => T): T => {
    const now = clock.now().getTime();
    core.catchUp(now);
    return perform(now, operation);
  };
  return { run, detach };
}

export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const config = resolveOptions(options);
  const { clock, logger } = config;
  const core = clockCore(clock);
  const ids = idSource(config);
  const state = createState(SEED_IDS.entity);
  if (config.seed) seed(state, ids, clock.now().getTime());

  const sender = createWebhookSender(state, config.webhooks, logger);
  const { run, detach } = createRunner(clock, core, state, ids, sender);
  const faults = createFaults();
  const requests = createRequestLog({ maxEntries: options.requestLogSize });
  const tokens = createTokenStore(clock, config.tokenTtlSeconds);
  let app: Awaited<ReturnType<typeof buildServer>> | undefined;
  try {
    app = await buildServer({
      api: { state, now: () => clock.now().getTime(), run },
      clock,
      credentials: config.credentials,
      tokens,
      faults,
      requests,
      latencyMs: config.latencyMs,
      logger,
    });
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // A start that fails at any step leaves nothing running: no clock jobs, no webhook sender, no server.
    detach();
    await app?.close();
    await sender.close();
    throw error;
  }
  const server = app;
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;

  return {
    url,
    apiUrl: `${url}/api/v1`,
    credentials: { ...config.credentials },
    clock,
    store: storeView(state),
    faults: { inject: (rule) => faults.inject(rule), clear: () => faults.clear() },
    requests: {
      list: () => requests.list(),
      count: (filter) => requests.count(filter),
      reset: () => requests.reset(),
    },
    revokeTokens: () => tokens.revokeAll(),
    webhooks: { idle: () => sender.idle() },
    async close() {
      detach();
      await server.close();
      await sender.close();
    },
  };
}
