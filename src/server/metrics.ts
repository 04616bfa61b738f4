// Prometheus metrics: the one file that names them. A registry per gateway (never prom-client's global
// one), so several gateways in one process (tests, benchmarks) keep separate counts.
import { type ApolloServerPlugin } from '@apollo/server';
import { type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type UpstreamCallInfo } from '../billwerk/client.js';
import { type AttemptOutcome } from '../destinations/attempt.js';
import { type DeliveryState } from '../destinations/destination.js';
import { type EventHub } from '../delivery/hub.js';
import { type EventLog, type EventLogStats } from '../events/event-log.js';
import { type ReconcileOutcome } from '../events/reconciler.js';
import { type SharedCache } from '../loaders/shared-cache.js';
import { type WebhookRouteOptions } from '../webhooks/route.js';
import { type FanoutStats } from '../delivery/fanout.js';

type WebhookOutcome = Parameters<NonNullable<WebhookRouteOptions['onReceived']>>[0];

/** The gateway's parts whose state is read at scrape time rather than counted as it happens. */
export interface MetricSources {
  cache: SharedCache;
  log: EventLog;
  hub: EventHub;
  fanout: Readonly<FanoutStats>;
  /** graphql-ws sockets open now. */
  sockets: () => number;
  /** Subscription streams over HTTP open now, by transport (SSE, multipart). @default none */
  httpStreams?: () => Record<string, number>;
  /** Open deliveries per event destination. @default none */
  destinations?: () => Promise<{ id: string; backlog: number }[]>;
}

export interface MetricsOptions {
  /** Node's process metrics (heap, event loop lag, GC, handles). @default true */
  defaultMetrics?: boolean;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** The billwerk client's `onResponse`: the client is built before the gateway, so it is passed in there. */
  readonly upstreamCall: (info: UpstreamCallInfo) => void;
  /** The webhook route's `onReceived`. */
  readonly webhookReceived: (outcome: WebhookOutcome) => void;
  /** The reconciler's `onOutcome`. */
  readonly reconciled: (outcome: ReconcileOutcome) => void;
  /** The event log pruner's `onStep`: events removed and how long the step took. */
  readonly pruneStep: (removed: number, seconds: number) => void;
  /** Each event destination delivery attempt, with the state it left the delivery in. */
  readonly destinationAttempt: (outcome: AttemptOutcome, state: DeliveryState) => void;
  /** Times each HTTP GraphQL operation, by operation name and outcome. */
  readonly apolloPlugin: ApolloServerPlugin;
  /** Connects the scrape-time gauges to one gateway's parts; once only. */
  bind(sources: MetricSources): void;
}

/**
 * Operation names come from clients, so they are an unbounded label: past this many distinct names the
 * rest are counted as `other` rather than growing the registry without end.
 */
const MAX_OPERATION_NAMES = 200;

/** Latency buckets in seconds, from a cached read to a slow billwerk call. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Error codes are a closed set (graphql/errors.ts), but the response is checked before it becomes a label. */
export function outcomeOf(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): string {
  if (!errors || errors.length === 0) return 'ok';
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'ERROR';
}

/** What the scrape-time collectors read: the gateway's parts, once `bind` has connected them. */
interface SourceSlot {
  sources?: MetricSources;
}

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const slot: SourceSlot = {};
  const { graphqlRequests, upstreamRequests, webhooks, reconciled, pruneSteps, pruned, deliveryAttempts } =
    countedMetrics(registers);
  partCounts(registers, slot);
  eventLogGauges(registers, slot);
  openNowGauges(registers, slot);
  return {
    registry,
    upstreamCall: (info) =>
      upstreamRequests.observe(
        { method: info.method, endpoint: info.endpoint, status: String(info.status) },
        info.durationMs / 1000,
      ),
    webhookReceived: (outcome) => webhooks.inc({ outcome }),
    destinationAttempt: (attempt, state) =>
      deliveryAttempts.observe(
        { outcome: attempt.ok ? 'delivered' : state === 'dead' ? 'dead' : 'retrying' },
        attempt.durationMs / 1000,
      ),
    reconciled: (outcome) => reconciled.inc({ outcome }),
    pruneStep: (removed, seconds) => {
      pruneSteps.observe(seconds);
      pruned.inc(removed);
    },
    apolloPlugin: operationTimer(graphqlRequests),
    bind(next) {
      if (slot.sources) throw new Error('GatewayMetrics.bind: these metrics already describe a gateway');
      slot.sources = next;
    },
  };
}

/** The metrics counted as things happen, through the gateway's callbacks. */
function countedMetrics(registers: Registry[]) {
  // Histograms only: each `_count` series is the request counter, so no separate counter is kept.
  const graphqlRequests = new Histogram({
    name: 'gateway_graphql_request_duration_seconds',
    help: 'GraphQL operations over HTTP, by operation name and outcome (ok or the first error code)',
    labelNames: ['operation', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const upstreamRequests = new Histogram({
    name: 'gateway_billwerk_request_duration_seconds',
    help: 'Calls to billwerk (each attempt), by method, endpoint template and status (0: no answer)',
    labelNames: ['method', 'endpoint', 'status'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const webhooks = new Counter({
    name: 'gateway_webhooks_received_total',
    help: 'Webhook posts, by outcome: stored, duplicate, rejected (auth, type or body) or failed (not stored)',
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of ['stored', 'duplicate', 'rejected', 'failed'] satisfies WebhookOutcome[]) {
    webhooks.inc({ outcome }, 0);
  }
  const reconciled = new Counter({
    name: 'gateway_reconciliation_notices_total',
    help:
      'Notices the reconciliation sweep found due, by outcome: appended (published as reconciled), duplicate ' +
      '(a webhook had delivered it) or superseded (billwerk replaced or deleted the change; never published)',
    labelNames: ['outcome'],
    registers,
  });
  for (const outcome of ['appended', 'duplicate', 'superseded'] satisfies ReconcileOutcome[]) {
    reconciled.inc({ outcome }, 0);
  }

  const pruneSteps = new Histogram({
    name: 'gateway_event_log_prune_step_seconds',
    help: 'Steps of event log pruning that removed events (each holds the SQLite log for its duration)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers,
  });
  const pruned = new Counter({
    name: 'gateway_event_log_pruned_total',
    help: 'Published events removed from the event log past EVENT_RETENTION_DAYS or EVENT_RETENTION_MAX_EVENTS',
    registers,
  });

  const deliveryAttempts = new Histogram({
    name: 'gateway_event_destination_attempt_duration_seconds',
    help: 'Event destination delivery attempts, by outcome: delivered (2xx), retrying (failed, tried again later) or dead (failed for the whole retry window)',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  for (const outcome of ['delivered', 'retrying', 'dead']) deliveryAttempts.zero({ outcome });
  return { graphqlRequests, upstreamRequests, webhooks, reconciled, pruneSteps, pruned, deliveryAttempts };
}

/** Read from the gateway's parts at scrape time: destination backlogs and the counts the parts keep. */
function partCounts(registers: Registry[], slot: SourceSlot): void {
  new Gauge({
    name: 'gateway_event_destination_backlog',
    help: 'Event destination deliveries pending or failing, per destination id',
    labelNames: ['destination'],
    registers,
    async collect() {
      const backlogs =
        slot.sources?.destinations && (await slot.sources.destinations().catch(() => undefined));
      if (!backlogs) return;
      this.reset();
      for (const { id, backlog } of backlogs) this.set({ destination: id }, backlog);
    },
  });

  // Monotonic counts kept by the parts themselves are copied in at scrape time.
  new Counter({
    name: 'gateway_shared_cache_lookups_total',
    help: 'Shared entity cache lookups, by result (hit, miss, shared: joined a load already in flight)',
    labelNames: ['result'],
    registers,
    collect() {
      if (!slot.sources) return;
      const { hits, misses, shared } = slot.sources.cache.stats;
      this.reset();
      this.inc({ result: 'hit' }, hits);
      this.inc({ result: 'miss' }, misses);
      this.inc({ result: 'shared' }, shared);
    },
  });
  new Counter({
    name: 'gateway_subscription_executions_total',
    help: 'Subscription executions per event: run once per group of identical subscriptions, shared by the rest',
    labelNames: ['kind'],
    registers,
    collect() {
      if (!slot.sources) return;
      this.reset();
      this.inc({ kind: 'executed' }, slot.sources.fanout.executions);
      this.inc({ kind: 'shared' }, slot.sources.fanout.shared);
    },
  });
}

/** The event log's gauges, read at scrape time. */
function eventLogGauges(registers: Registry[], slot: SourceSlot): void {
  // One read of the log per scrape serves its gauges (with Redis it is a round trip); while the
  // store is unreachable they are left out of the scrape rather than failing it.
  let logStats: Promise<EventLogStats> | undefined;
  const readLogStats = () => {
    logStats ??= slot.sources!.log.stats().finally(() => setImmediate(() => (logStats = undefined)));
    return logStats;
  };
  new Gauge({
    name: 'gateway_event_log_pending',
    help: 'Webhook events stored but not yet published to subscribers (the pipeline lag)',
    registers,
    async collect() {
      const stats = slot.sources && (await readLogStats().catch(() => undefined));
      if (stats) this.set(stats.pending);
    },
  });
  new Gauge({
    name: 'gateway_event_log_last_published_seq',
    help: 'Publication sequence of the last event published (what cursors count)',
    registers,
    async collect() {
      const stats = slot.sources && (await readLogStats().catch(() => undefined));
      if (stats) this.set(stats.lastPublishedSeq);
    },
  });
  new Gauge({
    name: 'gateway_event_log_retained',
    help: 'Published events kept in the event log (what cursors can replay)',
    registers,
    async collect() {
      const stats = slot.sources && (await readLogStats().catch(() => undefined));
      if (stats) this.set(stats.retained);
    },
  });
  new Gauge({
    name: 'gateway_event_log_oldest_retained_seq',
    help: 'Publication sequence of the oldest event kept: a cursor before it is refused (BAD_USER_INPUT)',
    registers,
    async collect() {
      const stats = slot.sources && (await readLogStats().catch(() => undefined));
      if (stats?.oldest) this.set(stats.oldest.publishedSeq);
    },
  });
  new Gauge({
    name: 'gateway_event_log_oldest_retained_age_seconds',
    help: 'Age of the oldest event kept (since it was received): how far back a cursor can resume',
    registers,
    async collect() {
      const stats = slot.sources && (await readLogStats().catch(() => undefined));
      if (stats?.oldest) this.set((Date.now() - stats.oldest.receivedAt.getTime()) / 1000);
    },
  });
}

/** What is open now: graphql-ws sockets, HTTP subscription streams, listeners on the event hub. */
function openNowGauges(registers: Registry[], slot: SourceSlot): void {
  new Gauge({
    name: 'gateway_websocket_connections',
    help: 'graphql-ws sockets open',
    registers,
    collect() {
      if (slot.sources) this.set(slot.sources.sockets());
    },
  });
  new Gauge({
    name: 'gateway_http_subscription_streams',
    help: 'Subscription streams over HTTP open, by transport (sse: Server-Sent Events, multipart: multipart HTTP)',
    labelNames: ['transport'],
    registers,
    collect() {
      const counts = slot.sources?.httpStreams?.();
      if (!counts) return;
      for (const [transport, count] of Object.entries(counts)) this.set({ transport }, count);
    },
  });
  new Gauge({
    name: 'gateway_event_streams',
    help: 'Event subscriptions open (listeners on the event hub)',
    registers,
    collect() {
      if (slot.sources) this.set(slot.sources.hub.size);
    },
  });
}

/** Times each HTTP GraphQL operation, labelled by its (bounded) operation name and its outcome. */
function operationTimer(graphqlRequests: Histogram<'operation' | 'outcome'>): ApolloServerPlugin {
  const operationNames = new Set<string>();
  const operationLabel = (name: string | undefined | null): string => {
    if (!name) return 'anonymous';
    if (operationNames.has(name)) return name;
    if (operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    operationNames.add(name);
    return name;
  };
  return {
    requestDidStart() {
      const end = graphqlRequests.startTimer();
      return Promise.resolve({
        willSendResponse(requestContext) {
          const body = requestContext.response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : requestContext.errors;
          // operationName is only set once the document parsed and named an operation it contains.
          end({ operation: operationLabel(requestContext.operationName), outcome: outcomeOf(errors) });
          return Promise.resolve();
        },
      });
    },
  };
}

/** GET /metrics in Prometheus' text format; unauthenticated, so it must hold nothing secret. */
export function registerMetricsRoute(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
