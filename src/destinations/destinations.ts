// Event destinations as one part of the gateway: the store and lease of the backend in use (backend/), the
// management service, the sender and the runner that takes events in and delivers them. server/gateway.ts
// creates it once the schema exists.
import {
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
  type GraphQLError,
} from 'graphql';
import { apiKeyPrincipal } from '../auth/authenticate.js';
import { ADMIN_KEY_HOLDER, hasRole, type Principal } from '../auth/principal.js';
import { type Config } from '../config.js';
import { type EventLog } from '../events/event-log.js';
import { type EventHub } from '../delivery/hub.js';
import { type Logger } from '../logger.js';
import { createSender, type AttemptOutcome } from './attempt.js';
import { type DeliveryRecord, type DestinationStore } from './destination.js';
import { type DestinationLease } from './lease.js';
import { createDestinationRunner, type DestinationRunner } from './runner.js';
import { createDestinationService, type DestinationService } from './service.js';
import { type Timers } from './worker.js';

export interface EventDestinationsOptions {
  config: Config;
  /** Where destinations and deliveries are kept (shared between instances on Redis). */
  store: DestinationStore;
  /** Which instance works on a destination. */
  lease: DestinationLease;
  log: EventLog;
  hub: EventHub;
  schema: GraphQLSchema;
  rules: readonly ValidationRule[];
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The context events run in for a principal, with `events` as given (positioned at the destination). */
  contextFor: (principal: Principal, events: EventHub) => unknown;
  allowDocument?: (principal: Principal, query: string) => boolean;
  logger: Logger;
  onAttempt?: (outcome: AttemptOutcome, state: DeliveryRecord['state']) => void;
  /** How often destinations are re-read and leases renewed. @default 1000 */
  pollMs?: number;
  /** Wall clock, epoch ms. @default Date.now */
  now?: () => number;
  timers?: Timers;
}

export interface EventDestinations {
  readonly service: DestinationService;
  readonly store: DestinationStore;
  readonly runner: DestinationRunner;
  /** Backlog per destination, for metrics. */
  backlogs(): Promise<{ id: string; backlog: number }[]>;
  close(): Promise<void>;
}

/** The configured principal that owns a destination, if it still exists and may still own one. */
function ownerFinder(config: Config): (ownerId: string) => Principal | undefined {
  return (ownerId) => {
    if (ownerId === ADMIN_KEY_HOLDER.id) return config.adminKey === undefined ? undefined : ADMIN_KEY_HOLDER;
    const entry = config.auth.apiKeys.find((key) => `key:${key.id}` === ownerId);
    const principal = entry && apiKeyPrincipal(entry);
    // A key changed to readonly would otherwise see every customer's events.
    return principal && (hasRole(principal, 'admin') || hasRole(principal, 'partner'))
      ? principal
      : undefined;
  };
}

export function createEventDestinations(options: EventDestinationsOptions): EventDestinations {
  const { config, hub, logger } = options;
  const settings = config.eventDestinations;
  const policy = { production: config.production, allowPrivate: settings.allowPrivate };
  const { store, lease } = options;
  const formatAll = (errors: readonly GraphQLError[]) =>
    errors.map((e) => options.formatError(e.toJSON(), e));
  const serialise = (result: ExecutionResult) =>
    JSON.stringify(result.errors ? { ...result, errors: formatAll(result.errors) } : result);
  const ownerOf = ownerFinder(config);
  const sender = createSender({ policy, now: options.now });
  const runner = createDestinationRunner({
    store,
    log: options.log,
    lease,
    sender,
    policy: {
      baseMs: settings.retryBaseMs,
      windowMs: settings.retryWindowMs,
      disableAfterMs: settings.disableAfterMs,
    },
    logger,
    schema: options.schema,
    rules: options.rules,
    serialise,
    contextFor(destination, afterPublishedSeq) {
      const owner = ownerOf(destination.ownerId);
      if (!owner) return undefined;
      // The resolvers open their stream on `events`: this one starts after the destination's cursor.
      const positioned: EventHub = Object.create(hub) as EventHub;
      positioned.stream = (filter, streamOptions) =>
        hub.stream(filter, { ...streamOptions, afterPublishedSeq });
      return options.contextFor(owner, positioned);
    },
    retentionMs: config.eventRetentionMs,
    pollMs: options.pollMs,
    onAttempt: options.onAttempt,
    now: options.now,
    timers: options.timers,
  });
  const service = createDestinationService({
    store,
    log: options.log,
    policy,
    schema: options.schema,
    rules: options.rules,
    allowDocument: options.allowDocument,
    onChanged: (id) => runner.kick(id),
    now: options.now,
  });
  return {
    service,
    store,
    runner,
    async backlogs() {
      const destinations = await store.list();
      return Promise.all(destinations.map(async (d) => ({ id: d.id, backlog: await store.backlog(d.id) })));
    },
    async close() {
      // The runner stops scheduling, then the attempts in flight are cut off, so its lanes end at once and
      // record them (to be retried after a restart) before the store closes.
      const stopping = runner.close();
      await sender.close();
      await stopping;
      await store.close();
    },
  };
}
