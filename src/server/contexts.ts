// The GraphQL context of every operation, whatever carries it: per-operation loaders over the shared
// reader, the caller's access, the event parts and the mutation dependencies (mutation-context.ts).
import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders } from 'node:http';
import { type PartnerStore } from '../auth/partner-store.js';
import { type Principal } from '../auth/principal.js';
import { createAccess } from '../auth/scope.js';
import { type DestinationService } from '../destinations/service.js';
import { type EventLog } from '../events/event-log.js';
import { type EventHub } from '../delivery/hub.js';
import { type Replayer } from '../delivery/replay.js';
import { type GraphQLContext } from '../graphql/context.js';
import { createLoaders } from '../loaders/loaders.js';
import { createPages } from '../loaders/pages.js';
import { type BillwerkReader } from '../loaders/reader.js';
import { type Logger } from '../logger.js';
import { type MutationContext } from './mutation-context.js';

export interface ContextsOptions {
  reader: BillwerkReader;
  hub: EventHub;
  log: EventLog;
  partners: PartnerStore;
  replayer: Replayer;
  /** Event destinations' service; bound once they exist (they run operations in these contexts). */
  destinations: () => DestinationService;
  mutationContext: (principal: Principal, headers?: IncomingHttpHeaders) => MutationContext;
  /** Operations a customer may run as mutations (CUSTOMER_MUTATIONS). */
  customerMutations: readonly string[];
  /** The one logger of every subscription (a pino child each would cost memory per socket). */
  subscriptionLogger: Logger;
}

export interface Contexts {
  /** An HTTP operation's context, with its request id, logger and headers. */
  forRequest(
    principal: Principal,
    requestId: string,
    logger: Logger,
    headers: IncomingHttpHeaders,
  ): GraphQLContext;
  /** A subscription's context, on any transport. */
  forSubscription(principal: Principal): GraphQLContext;
  /** An event destination's context: its events come from `events` (positioned at its cursor). */
  readonly forDestination: (principal: Principal, events: EventHub) => GraphQLContext;
}

export function createContexts(options: ContextsOptions): Contexts {
  const { reader, hub, log, partners, replayer, mutationContext } = options;
  const customerMutations = new Set(options.customerMutations);
  const contextFor = (
    principal: Principal,
    requestId: string,
    logger: Logger,
    headers?: IncomingHttpHeaders,
  ): GraphQLContext => {
    const loaders = createLoaders(reader);
    const pages = createPages(reader, loaders);
    return {
      loaders,
      pages,
      events: hub,
      eventLog: log,
      destinations: options.destinations(),
      replay: (events) => replayer.replay(events),
      requestId,
      logger,
      access: createAccess({ principal, partners, loaders, pages, customerMutations }),
      ...mutationContext(principal, headers),
    };
  };
  return {
    forRequest: contextFor,
    // randomUUID() returns a rope of 16 concatenations (about 600 bytes of heap), which a subscription
    // would hold for as long as it is open: it keeps a flat copy of the 36 characters instead.
    forSubscription: (principal) =>
      contextFor(
        principal,
        Buffer.from(randomUUID(), 'latin1').toString('latin1'),
        options.subscriptionLogger,
      ),
    forDestination: (principal, events) => ({
      ...contextFor(principal, randomUUID(), options.subscriptionLogger),
      events,
    }),
  };
}
