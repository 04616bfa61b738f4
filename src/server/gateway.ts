// The composition root: createGateway wires the named parts of the gateway and closes them in reverse.
// Read it as a table of contents: the backend (backend/: one instance or several on Redis), the HTTP app,
// the event work (webhooks in, reconciliation, pruning), the schema and the one admission, GraphQL over
// HTTP, the live transports and event destinations. docs/architecture.md walks a webhook and a query through.
import { type AddressInfo } from 'node:net';
import { type Tracer } from '@opentelemetry/api';
import { type FastifyInstance } from 'fastify';
import { type GraphQLFormattedError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { type Authenticate, createAuthenticator } from '../auth/authenticate.js';
import { createBackend, type Backend } from '../backend/backend.js';
import { type BillwerkClient } from '../billwerk/client.js';
import { type Config } from '../config.js';
import { createEventDestinations, type EventDestinations } from '../destinations/destinations.js';
import { type DestinationService } from '../destinations/service.js';
import { type EventLog } from '../events/event-log.js';
import { type EventHub, type EventHubOptions } from '../delivery/hub.js';
import { type EventPipeline, type PipelineOptions } from '../delivery/pipeline.js';
import { startPruner } from '../events/pruner.js';
import { type Lease } from '../events/sweep-lease.js';
import { createReconciler, type Reconciler } from '../events/reconciler.js';
import { createFormatError } from '../graphql/errors.js';
import { buildGatewaySchema } from '../graphql/schema.js';
import { type IdempotencyStore } from '../idempotency/store.js';
import { type BillwerkReader, createReader } from '../loaders/reader.js';
import { createSharedCache, type SharedCache, type SharedCacheOptions } from '../loaders/shared-cache.js';
import { type Logger } from '../logger.js';
import { type WebhookCredentials } from '../webhooks/auth.js';
import { registerWebhookRoute } from '../webhooks/route.js';
import { createAdmission } from './admission.js';
import { type Contexts, createContexts } from './contexts.js';
import { type DashboardOptions } from './dashboard.js';
import { Disposers } from './disposers.js';
import { type FanoutStats } from '../delivery/fanout.js';
import { registerGraphqlHttp } from './graphql-http.js';
import { createReadiness } from './health.js';
import { createHttpApp, type HttpAppOptions } from './http-app.js';
import { attachLive } from './live.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { createMutationContext } from './mutation-context.js';
import { queryRules } from './query-limits.js';
import {
  loadTrustedDocuments,
  registerTrustedDocuments,
  type TrustedDocuments,
} from './trusted-documents.js';

export interface GatewayOptions {
  config: Config;
  billwerk: BillwerkClient;
  logger: Logger;
  /** TTLs and size of the shared entity cache. @default createSharedCache's defaults */
  cacheOptions?: SharedCacheOptions;
  /** Credentials the webhook endpoint requires. @default those of the configuration (WEBHOOK_*) */
  webhookCredentials?: WebhookCredentials;
  /** Enrichment retry tuning. @default createEventPipeline's defaults */
  pipelineOptions?: Pick<PipelineOptions, 'maxAttempts' | 'retryBaseDelayMs'>;
  /** How many events a subscriber may fall behind before it is disconnected. @default createEventHub's */
  hubOptions?: Pick<EventHubOptions, 'maxBuffered'>;
  /** Where mutation outcomes are kept for idempotent replays. @default a SQLite store in the gateway database */
  idempotency?: IdempotencyStore;
  /** Who may run the reconciliation sweep now (one instance at a time). @default always this one */
  lease?: Lease;
  /** Clock for dates in mutation inputs and idempotency expiry, epoch ms (the emulator's in tests). @default Date.now */
  now?: () => number;
  /**
   * Where the gateway's metrics go. Pass one created beforehand to count billwerk calls too (its
   * `upstreamCall` is the client's `onResponse`). @default fresh metrics without upstream calls
   */
  metrics?: GatewayMetrics;
  /**
   * Traces HTTP GraphQL operations and, when the billwerk client's `onResponse` goes through
   * `attributeToRequest`, their billwerk calls (telemetry.ts). @default none: no tracing plugin at all
   */
  tracer?: Tracer;
  /** The live dashboard at `/`. @default served from dist/web, without the emulator's flow buttons */
  dashboard?: DashboardOptions;
}

export interface Gateway {
  /** Base URL, e.g. http://127.0.0.1:4000; GraphQL is at `${url}/graphql`. */
  readonly url: string;
  /** The shared entity cache (webhook ingestion invalidates through it). */
  readonly cache: SharedCache;
  /** The event log, fan-out and pipeline. */
  readonly events: { log: EventLog; hub: EventHub; pipeline: EventPipeline; reconciler: Reconciler };
  /** Subscription executions: run once per group of identical subscriptions, shared by the rest. */
  readonly fanout: Readonly<FanoutStats>;
  /** The gateway's own Prometheus registry (served at /metrics unless METRICS_ENABLED=false). */
  readonly metrics: GatewayMetrics;
  close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, billwerk, logger } = options;
  const parts = new Disposers();
  try {
    const metrics = options.metrics ?? createMetrics();
    const cache = createSharedCache(options.cacheOptions);
    const reader = createReader(billwerk, cache);
    const backend = parts.add(await createBackend({ ...options, reader }), (b) => b.close());
    const { log, hub, pipeline } = backend.events;
    // Events stored before a restart but not yet published go out first, in billwerk's order.
    await backend.events.relay.start();
    const reconciler = parts.add(startReconciler(options, backend, metrics), (r) => r.close());
    const pruning = { log, ...retentionOf(config), logger: logger.child({ component: 'events' }) };
    parts.add(startPruner({ ...pruning, onStep: metrics.pruneStep }), (p) => p.close());
    const app = parts.add(await createHttpApp(httpAppOptions(options, backend, metrics)), (a) => a.close());
    registerWebhooks(app, options, backend, metrics);

    const schema = await buildGatewaySchema();
    const rules = queryRules({ introspection: config.introspection });
    // One formatter for every transport: without FIELD_SUGGESTIONS no "Did you mean …?" leaves on any.
    const formatError = createFormatError({ suggestions: config.fieldSuggestions });
    const trusted = loadTrustedDocuments(config.trustedDocumentsDir);
    registerTrustedDocuments(app, trusted);
    // Contexts are made per operation, after the destinations below exist (their runner makes some too).
    const subscriptionLogger = logger.child({ component: 'subscriptions' });
    const contexts = contextsOf(options, backend, reader, subscriptionLogger, () => destinations.service);
    const graphql = { schema, rules, formatError, trusted, contexts };
    const destinations = parts.add(startDestinations(options, backend, metrics, graphql), (d) => d.close());

    const authenticate = createGatewayAuthenticator(config, billwerk);
    const admission = createAdmission({ rateLimit: backend.rateLimit, trusted });
    const live = { ...graphql, config, authenticate, admission, logger: subscriptionLogger };
    const transports = attachLive(app, live);
    // One disposer, in this order: clients are told to reconnect first, then operations in flight drain.
    const http: { apollo?: { stop(): Promise<void> } } = {};
    parts.add(transports, async (t) => {
      await t.close();
      await http.apollo?.stop();
    });
    http.apollo = await registerGraphqlHttp(app, {
      ...live,
      introspection: config.introspection,
      stackTraces: config.stackTraces,
      persistedQueries: backend.persistedQueries,
      metrics,
      httpSubscriptions: transports.httpSubscriptions,
      tracer: options.tracer,
    });
    metrics.bind({
      cache,
      log,
      hub,
      fanout: transports.fanout,
      sockets: transports.sockets,
      httpStreams: transports.streams,
      destinations: () => destinations.backlogs(),
    });
    const url = await listen(app, config);
    return {
      url,
      cache,
      events: { log, hub, pipeline, reconciler },
      fanout: transports.fanout,
      metrics,
      close: () => parts.close(),
    };
  } catch (error) {
    // A gateway that failed to start (a port in use, say) leaves nothing open behind it, and its error is
    // the one reported.
    await parts
      .close()
      .catch((closing: unknown) =>
        logger.warn({ err: closing }, 'closing a gateway that failed to start failed too'),
      );
    throw error;
  }
}

/** The context factory of every operation, over the backend's stores. */
function contextsOf(
  options: GatewayOptions,
  backend: Backend,
  reader: BillwerkReader,
  subscriptionLogger: Logger,
  destinations: () => DestinationService,
): Contexts {
  const { logger } = options;
  return createContexts({
    reader,
    hub: backend.events.hub,
    log: backend.events.log,
    partners: backend.partners,
    replayer: backend.replayer,
    destinations,
    mutationContext: createMutationContext({
      billwerk: options.billwerk,
      idempotency: options.idempotency ?? backend.idempotency,
      logger: logger.child({ component: 'idempotency' }),
      now: options.now,
    }),
    customerMutations: options.config.auth.customerMutations,
    subscriptionLogger,
  });
}

/** EVENT_RETENTION_DAYS and EVENT_RETENTION_MAX_EVENTS, as the pruner takes them. */
const retentionOf = (config: Config) => ({
  retentionMs: config.eventRetentionMs,
  maxEvents: config.eventRetentionMaxEvents,
});

function httpAppOptions(options: GatewayOptions, backend: Backend, metrics: GatewayMetrics): HttpAppOptions {
  const { config, billwerk, logger } = options;
  return {
    config,
    logger,
    metrics,
    // The readiness cache runs on the wall clock, not `options.now` (the emulator's can stand still).
    readiness: createReadiness({
      billwerk,
      ...backend.readiness,
      logger: logger.child({ component: 'health' }),
    }),
    traced: !!options.tracer,
    dashboard: options.dashboard ?? { emulator: false },
  };
}

/** Reconciliation: billwerk's own record compared with the log, on the instance holding the sweep lease. */
function startReconciler(options: GatewayOptions, backend: Backend, metrics: GatewayMetrics): Reconciler {
  const { config } = options;
  const reconciler = createReconciler({
    log: backend.events.log,
    onStored: backend.events.relay.onStored,
    billwerk: options.billwerk,
    lease: options.lease ?? backend.sweepLease,
    logger: options.logger.child({ component: 'reconciliation' }),
    now: options.now,
    graceMs: config.reconcileGraceMs,
    onOutcome: metrics.reconciled,
  });
  if (config.reconcileIntervalMs > 0) reconciler.start(config.reconcileIntervalMs);
  return reconciler;
}

/** billwerk's webhooks: authenticated, stored, then answered 2xx; off without credentials to check. */
function registerWebhooks(
  app: FastifyInstance,
  options: GatewayOptions,
  backend: Backend,
  metrics: GatewayMetrics,
): void {
  const { config, logger } = options;
  const credentials = options.webhookCredentials ?? config.webhooks;
  if (!credentials.basicAuth && credentials.pathToken === undefined) {
    logger.warn('no WEBHOOK_BASIC_AUTH or WEBHOOK_PATH_TOKEN configured: the webhook endpoint is off');
    return;
  }
  registerWebhookRoute(app, {
    credentials,
    maxBodyBytes: config.webhooks.maxBodyBytes,
    log: backend.events.log,
    onStored: backend.events.relay.onStored,
    logger: logger.child({ component: 'webhooks' }),
    onReceived: metrics.webhookReceived,
  });
}

/** Who is calling: API keys, customer tokens (credentials expire by the wall clock, not billwerk's). */
function createGatewayAuthenticator(config: Config, billwerk: BillwerkClient): Authenticate {
  return createAuthenticator({
    auth: config.auth,
    adminKey: config.adminKey,
    // Exactly one customer must carry the external id; two would make the token ambiguous.
    findCustomerByExternalId: async (externalId) => {
      const found = await billwerk.customers.list({ externalId, take: 2 });
      return found.length === 1 ? found[0]!.Id : undefined;
    },
  });
}

interface GraphqlParts {
  schema: GraphQLSchema;
  rules: readonly ValidationRule[];
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  trusted: TrustedDocuments;
  contexts: Contexts;
}

/** Partners' endpoints that receive events as signed webhooks (docs/event-destinations.md). */
function startDestinations(
  options: GatewayOptions,
  backend: Backend,
  metrics: GatewayMetrics,
  { schema, rules, formatError, trusted, contexts }: GraphqlParts,
): EventDestinations {
  const destinations = createEventDestinations({
    config: options.config,
    ...backend.destinations,
    log: backend.events.log,
    hub: backend.events.hub,
    schema,
    rules,
    formatError,
    contextFor: contexts.forDestination,
    allowDocument: (principal, query) => !principal.trustedDocumentsOnly || trusted.allows(query),
    logger: options.logger.child({ component: 'destinations' }),
    onAttempt: metrics.destinationAttempt,
  });
  destinations.runner.start();
  return destinations;
}

/** Listens on HOST:PORT; resolves the base URL clients reach it at. */
async function listen(app: FastifyInstance, config: Config): Promise<string> {
  await app.listen({ port: config.port, host: config.host });
  const { port } = app.server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}
