// The gateway process: Fastify hosting Apollo Server and graphql-ws at /graphql, the webhook endpoint,
// health, and the event log and pipeline behind them. `createGateway` listens and returns `{ url, close }`.
import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { type Tracer } from '@opentelemetry/api';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { createAuthenticator } from '../auth/authenticate.js';
import { createPartnerStore } from '../auth/partner-store.js';
import { createRedisPartnerStore } from '../auth/redis-partner-store.js';
import { type Principal } from '../auth/principal.js';
import { createAccess } from '../auth/scope.js';
import { type BillwerkClient } from '../billwerk/client.js';
import { type Config } from '../config.js';
import { createEventDestinations } from '../destinations/destinations.js';
import { type EventLog } from '../events/event-log.js';
import { createEventSystem } from '../events/event-system.js';
import { type EventHub, type EventHubOptions } from '../events/hub.js';
import { type EventPipeline, type PipelineOptions } from '../events/pipeline.js';
import { startPruner } from '../events/pruner.js';
import { localLease, redisSweepLease, type Lease } from '../events/sweep-lease.js';
import { createReconciler, type Reconciler } from '../events/reconciler.js';
import { localReplayer, redisReplayer } from '../events/replay.js';
import { type GraphQLContext } from '../graphql/context.js';
import { createFormatError, toGraphQLError } from '../graphql/errors.js';
import { buildGatewaySchema } from '../graphql/schema.js';
import { createLoaders } from '../loaders/loaders.js';
import { createPages } from '../loaders/pages.js';
import { createReader } from '../loaders/reader.js';
import { createSharedCache, type SharedCache, type SharedCacheOptions } from '../loaders/shared-cache.js';
import { type Logger } from '../logger.js';
import { openDatabase } from '../store/database.js';
import { type IdempotencyStore } from '../idempotency/store.js';
import { createRedisIdempotencyStore } from '../idempotency/redis-store.js';
import { createSqliteIdempotencyStore } from '../idempotency/sqlite-store.js';
import { connectRedis } from '../redis/connection.js';
import { type WebhookCredentials } from '../webhooks/auth.js';
import { registerWebhookRoute } from '../webhooks/route.js';
import { createReadiness, registerHealth } from './health.js';
import { createMetrics, registerMetricsRoute, type GatewayMetrics } from './metrics.js';
import { createMutationContext } from './mutation-context.js';
import { type FanoutStats } from './fanout.js';
import { registerDashboard, type DashboardOptions } from './dashboard.js';
import { createHttpStreams } from './http-streams.js';
import { createHttpSubscriptions, multipartFarewell } from './http-subscriptions.js';
import { queryCostPlugin } from './query-cost.js';
import { checkDocumentSize, queryRules } from './query-limits.js';
import { createRateLimit, rateLimitedHttpError } from './rate-limit.js';
import { registerSecurityHeaders } from './security-headers.js';
import { registerRequestLog, requestScopeOf, requestScopePlugin } from './request-scope.js';
import { registerSse, sseFarewell } from './sse.js';
import { createSubscriptionAdmission } from './subscription-admission.js';
import { attachSubscriptions } from './subscriptions.js';
import { loadTrustedDocuments, notTrusted, registerTrustedDocuments } from './trusted-documents.js';
import { redisPersistedQueryCache } from './apq-cache.js';
import { tracingPlugin } from './tracing.js';

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

/** The `query` and `operationName` of a GraphQL POST body, or else of a GET query string. */
function operationOf(request: { body?: unknown; query?: unknown }): {
  query?: string;
  operationName?: string;
} {
  for (const source of [request.body, request.query]) {
    if (typeof source !== 'object' || source === null) continue;
    const { query, operationName } = source as { query?: unknown; operationName?: unknown };
    if (typeof query !== 'string') continue;
    return { query, operationName: typeof operationName === 'string' ? operationName : undefined };
  }
  return {};
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, billwerk, logger } = options;
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; without the cast Fastify infers Logger<never> as its logger
    // generic and the Apollo plugin no longer type-checks (the lint rule cannot see that).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Fastify's own line per request is off: it knows no operation names, so it would only add noise.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    },
  });
  await registerSecurityHeaders(app);
  const metrics = options.metrics ?? createMetrics();
  if (config.metricsEnabled) registerMetricsRoute(app, metrics);
  registerRequestLog(app, { logger: logger.child({ component: 'graphql' }), traced: !!options.tracer });
  registerDashboard(app, options.dashboard ?? { emulator: false });

  const cache = createSharedCache(options.cacheOptions);
  const reader = createReader(billwerk, cache);

  const db = openDatabase({ file: path.join(config.dataDir, 'gateway.db') });
  // With REDIS_URL, instances share the event log, dedupe, idempotency keys and rate limits there.
  const redis = config.redis
    ? await connectRedis({ ...config.redis, logger: logger.child({ component: 'redis' }) })
    : undefined;
  const events = createEventSystem({
    db,
    redis: redis && config.redis ? { connections: redis, ...config.redis } : undefined,
    reader,
    logger: logger.child({ component: 'events' }),
    retentionMs: config.eventRetentionMs,
    maxEvents: config.eventRetentionMaxEvents,
    hubOptions: options.hubOptions,
    pipelineOptions: options.pipelineOptions,
  });
  const { log, hub, pipeline } = events;
  // The readiness cache runs on the wall clock, not `options.now` (the emulator's can stand still).
  registerHealth(
    app,
    createReadiness({ billwerk, db, redis: redis?.check, logger: logger.child({ component: 'health' }) }),
  );
  // Events stored before a restart but not yet published go out first, in billwerk's order.
  await events.start();
  const reconciler = createReconciler({
    log,
    onStored: events.onStored,
    billwerk,
    lease:
      options.lease ??
      (redis && config.redis ? redisSweepLease(redis.client, `${config.redis.keyPrefix}lease:`) : localLease),
    logger: logger.child({ component: 'reconciliation' }),
    now: options.now,
    graceMs: config.reconcileGraceMs,
    onOutcome: metrics.reconciled,
  });
  if (config.reconcileIntervalMs > 0) reconciler.start(config.reconcileIntervalMs);
  const pruner = startPruner({
    log,
    retentionMs: config.eventRetentionMs,
    maxEvents: config.eventRetentionMaxEvents,
    logger: logger.child({ component: 'events' }),
    onStep: metrics.pruneStep,
  });

  const credentials = options.webhookCredentials ?? config.webhooks;
  if (credentials.basicAuth || credentials.pathToken !== undefined) {
    registerWebhookRoute(app, {
      credentials,
      maxBodyBytes: config.webhooks.maxBodyBytes,
      log,
      onStored: events.onStored,
      logger: logger.child({ component: 'webhooks' }),
      onReceived: metrics.webhookReceived,
    });
  } else {
    logger.warn('no WEBHOOK_BASIC_AUTH or WEBHOOK_PATH_TOKEN configured: the webhook endpoint is off');
  }

  const idempotency =
    options.idempotency ??
    (redis && config.redis
      ? createRedisIdempotencyStore({
          redis: redis.client,
          keyPrefix: config.redis.keyPrefix,
          now: options.now,
        })
      : createSqliteIdempotencyStore({ db, now: options.now }));
  const mutationContext = createMutationContext({
    billwerk,
    idempotency,
    logger: logger.child({ component: 'idempotency' }),
    now: options.now,
  });
  // Credentials expire by the wall clock, not by billwerk's (the emulator's can be moved).
  const authenticate = createAuthenticator({
    auth: config.auth,
    adminKey: config.adminKey,
    // Exactly one customer must carry the external id; two would make the token ambiguous.
    findCustomerByExternalId: async (externalId) => {
      const found = await billwerk.customers.list({ externalId, take: 2 });
      return found.length === 1 ? found[0]!.Id : undefined;
    },
  });
  const rateLimit = createRateLimit({
    ...config.rateLimit,
    redis: redis?.client,
    keyPrefix: config.redis ? `${config.redis.keyPrefix}rate` : undefined,
  });
  const rules = queryRules({ introspection: config.introspection });
  // One formatter for both transports: without FIELD_SUGGESTIONS no "Did you mean …?" leaves on either.
  const formatError = createFormatError({ suggestions: config.fieldSuggestions });
  // Partners' signed-up customers: in the gateway's database, or in Redis so every instance knows them.
  const replayer =
    redis && config.redis
      ? redisReplayer({
          redis: redis.client,
          subscriber: redis.blocking('replay'),
          hub,
          logger: logger.child({ component: 'events' }),
          keyPrefix: config.redis.keyPrefix,
        })
      : localReplayer(hub);
  const sharedPartners =
    redis && config.redis
      ? createRedisPartnerStore({
          redis: redis.client,
          subscriber: redis.blocking('partners'),
          keyPrefix: config.redis.keyPrefix,
        })
      : undefined;
  sharedPartners?.ready.catch((error: unknown) =>
    logger.warn({ err: error }, "partners' signed-up customers could not be loaded from Redis"),
  );
  const partners = sharedPartners ?? createPartnerStore(db);
  const customerMutations = new Set(config.auth.customerMutations);

  /** A fresh context: per-request loaders over the shared reader, and the caller's access. */
  const contextFor = (
    principal: Principal,
    requestId: string,
    requestLogger: Logger,
    headers?: IncomingHttpHeaders,
  ): GraphQLContext => {
    const loaders = createLoaders(reader);
    const pages = createPages(reader, loaders);
    return {
      loaders,
      pages,
      events: hub,
      eventLog: log,
      destinations: destinations.service,
      replay: (events) => replayer.replay(events),
      requestId,
      logger: requestLogger,
      access: createAccess({ principal, partners, loaders, pages, customerMutations }),
      ...mutationContext(principal, headers),
    };
  };

  const schema = await buildGatewaySchema();
  // One child logger for every subscription: a pino child per subscription costs memory per socket.
  const subscriptionLogger = logger.child({ component: 'subscriptions' });
  const trusted = loadTrustedDocuments(config.trustedDocumentsDir);
  registerTrustedDocuments(app, trusted);
  // One admission and one fan-out for every subscription transport: graphql-ws, SSE and multipart HTTP.
  const admission = createSubscriptionAdmission({
    schema,
    validationRules: rules,
    formatError,
    rateLimit,
    allowDocument: (principal, query, operationName) =>
      !principal.trustedDocumentsOnly || trusted.allows(query, operationName),
  });
  // randomUUID() returns a rope of 16 concatenations (about 600 bytes of heap), which a subscription
  // would hold for as long as it is open: it keeps a flat copy of the 36 characters instead.
  const subscriptionContext = (principal: Principal) =>
    contextFor(principal, Buffer.from(randomUUID(), 'latin1').toString('latin1'), subscriptionLogger);
  const streams = createHttpStreams({
    maxPerCaller: config.maxSubscriptionsPerConnection,
    farewell: (transport, reason) => (transport === 'sse' ? sseFarewell(reason) : multipartFarewell(reason)),
  });
  registerSse(app, {
    authenticate,
    admission,
    streams,
    context: subscriptionContext,
    logger: subscriptionLogger,
    reservationTimeoutMs: config.sseReservationTimeoutMs,
  });
  const httpSubscriptions = createHttpSubscriptions({ admission, streams, logger: subscriptionLogger });
  const subscriptions = attachSubscriptions({
    server: app.server,
    schema,
    authenticate,
    context: subscriptionContext,
    admission,
    logger: subscriptionLogger,
    maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
    connectionInitWaitTimeout: config.connectionInitTimeoutMs,
  });
  // Partners' endpoints that receive events as signed webhooks (docs/event-destinations.md).
  const destinations = createEventDestinations({
    config,
    db,
    redis: redis?.client,
    log,
    hub,
    schema,
    rules,
    formatError,
    contextFor: (principal, events) => ({
      ...contextFor(principal, randomUUID(), subscriptionLogger),
      events,
    }),
    allowDocument: (principal, query) => !principal.trustedDocumentsOnly || trusted.allows(query),
    logger: logger.child({ component: 'destinations' }),
    onAttempt: metrics.destinationAttempt,
  });
  destinations.runner.start();
  metrics.bind({
    cache,
    log,
    hub,
    fanout: subscriptions.fanout,
    sockets: () => subscriptions.sockets,
    httpStreams: () => streams.counts(),
    destinations: () => destinations.backlogs(),
  });

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    // Automatic persisted queries: in memory, or in Redis so every instance knows a registered hash.
    persistedQueries:
      redis && config.redis
        ? { cache: redisPersistedQueryCache(redis.client, `${config.redis.keyPrefix}apq:`) }
        : undefined,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: config.stackTraces,
    formatError,
    validationRules: [...rules],
    plugins: [
      fastifyApolloDrainPlugin(app),
      metrics.apolloPlugin,
      requestScopePlugin,
      httpSubscriptions.plugin,
      queryCostPlugin,
      ...(options.tracer ? [tracingPlugin(options.tracer)] : []),
      // Browsers get the self-hosted GraphiQL at GET /graphql (dashboard.ts), not Apollo's CDN-hosted page.
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP cache hints are served, so skip the per-field cache-policy bookkeeping.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    context: async (request, reply) => {
      let principal: Principal;
      try {
        principal = await authenticate(request.headers.authorization);
        const scope = requestScopeOf(request);
        if (scope) scope.principalId = principal.id;
      } catch (error) {
        // Answered 401 with the GraphQL error shape; the credentials presented are never logged.
        throw toGraphQLError(error as Error);
      }
      const limited = await rateLimit(principal, request.ip);
      if (limited) throw rateLimitedHttpError(limited);
      // Size and tokens before Apollo parses (context is built first); validation adds the other limits.
      const { query: document = '', operationName } = operationOf(request);
      const tooLarge = checkDocumentSize(document);
      if (tooLarge) throw toGraphQLError(tooLarge);
      if (principal.trustedDocumentsOnly && !trusted.allows(document, operationName)) {
        throw toGraphQLError(notTrusted());
      }
      const context = contextFor(principal, request.id, request.log as unknown as Logger, request.headers);
      httpSubscriptions.bindReply(context, reply);
      return context;
    },
  });

  await app.listen({ port: config.port, host: config.host });
  const { port } = app.server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    cache,
    events: { log, hub, pipeline, reconciler },
    fanout: subscriptions.fanout,
    metrics,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    async close() {
      await pruner.close();
      // Sockets and event streams first (clients are told to reconnect), then in-flight HTTP operations drain.
      await Promise.all([subscriptions.close(), streams.close()]);
      await apollo.stop();
      await app.close();
      await destinations.close();
      await reconciler.close();
      await events.close();
      if (!options.idempotency) await idempotency.close();
      await sharedPartners?.close();
      await replayer.close();
      await redis?.close();
      db.close();
    },
  };
}
