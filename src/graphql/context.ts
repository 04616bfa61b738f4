// What every resolver receives: the request's loaders (over the shared reader), identity and logger,
// and for mutations the billwerk client, the idempotency store and the clock. Built per request by server/.
import { type Principal } from '../auth/principal.js';
import { type Access } from '../auth/scope.js';
import { type BillwerkClient } from '../billwerk/client.js';
import { type DestinationService } from '../destinations/service.js';
import { type EventLog, type StoredEvent } from '../events/event-log.js';
import { type EventHub } from '../delivery/hub.js';
import { type Loaders } from '../loaders/loaders.js';
import { type Pages } from '../loaders/pages.js';
import { type Logger } from '../logger.js';
import { type IdempotencyStore } from '../idempotency/store.js';

export interface GraphQLContext {
  readonly loaders: Loaders;
  readonly pages: Pages;
  readonly requestId: string;
  readonly logger: Logger;
  /** Live billwerk events (subscriptions). */
  readonly events: EventHub;
  /** The stored events (the operator's log). */
  readonly eventLog: EventLog;
  /** Event destinations: partners' endpoints receiving events as signed webhooks. */
  readonly destinations: DestinationService;
  /** Sends stored events to live subscribers again, on every instance (operator replays). */
  readonly replay: (events: readonly StoredEvent[]) => Promise<void>;
  /** Set on subscriptions: disconnects this subscriber when it falls too far behind. */
  readonly onSlowConsumer?: () => void;
  /**
   * Set on a subscription whose client reconnected with the cursor it last received (an SSE client's
   * `Last-Event-ID`): it resumes after that cursor, whatever `after` the operation carries.
   */
  readonly resumeAfter?: string;
  /** Who is calling (auth/authenticate.ts). */
  readonly principal: Principal;
  /** What the caller may see and do: every scope check goes through it (auth/scope.ts). */
  readonly access: Access;
  /** `principal.id`: the scope of idempotency keys. */
  readonly principalId: string;
  /** For writes; reads go through the loaders. */
  readonly billwerk: BillwerkClient;
  /** Where mutation outcomes are kept for idempotent replays. */
  readonly idempotency: IdempotencyStore;
  /** The request's `Idempotency-Key` header, if it sent one. */
  readonly idempotencyKeyHeader: string | undefined;
  /** The gateway's clock (dates in inputs are checked against it). */
  now(): Date;
}
