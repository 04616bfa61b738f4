// Runs every destination this instance holds: a follower that takes the events its document selects into
// stored deliveries (from the destination's cursor, so a restart resumes where the last one stopped), and
// a delivery lane that sends them. Each poll it re-reads the destinations (created, changed or deleted on
// any instance) and claims or renews their leases.
import { type ExecutionResult, type GraphQLSchema, type ValidationRule } from 'graphql';
import { type EventLog, type StoredEvent } from '../events/event-log.js';
import { type Logger } from '../logger.js';
import { type AttemptOutcome, type Sender } from './attempt.js';
import { type DeliveryRecord, type DestinationRecord, type DestinationStore } from './destination.js';
import { compileDocument, followDocument, type Follower } from './document.js';
import { type DestinationLease } from './lease.js';
import { createLane, type Lane, type RetryPolicy, type Timers } from './worker.js';

export interface RunnerOptions {
  store: DestinationStore;
  log: EventLog;
  lease: DestinationLease;
  sender: Sender;
  policy: RetryPolicy;
  logger: Logger;
  schema: GraphQLSchema;
  /** Validation rules beyond graphql's own (the query limits). */
  rules: readonly ValidationRule[];
  /** The text of a result (errors formatted as for subscribers). */
  serialise: (result: ExecutionResult) => string;
  /**
   * The context the destination's events run in: its owner's, with events starting after
   * `afterPublishedSeq`. Undefined when the owner is no longer configured (then nothing is taken in).
   */
  contextFor(destination: DestinationRecord, afterPublishedSeq: number): unknown;
  /** How long delivered and dead deliveries are kept (EVENT_RETENTION_DAYS). */
  retentionMs: number;
  /** How often destinations are re-read and leases renewed. @default 1000 */
  pollMs?: number;
  onAttempt?: (outcome: AttemptOutcome, state: DeliveryRecord['state']) => void;
  /** Wall clock, epoch ms. @default Date.now */
  now?: () => number;
  timers?: Timers;
}

export interface DestinationRunner {
  start(): void;
  /** Looks at the destination now (after a change made on this instance). */
  kick(id: string): void;
  close(): Promise<void>;
}

interface Running {
  version: number;
  lane: Lane;
  follower?: Follower;
  following: boolean;
}

/** One contract's events go out in order; events of no contract are ordered by customer, else not at all. */
export function orderKeyOf(event: StoredEvent): string {
  const { contractId, customerId } = event.notice;
  if (contractId !== undefined) return `contract:${contractId}`;
  if (customerId !== undefined) return `customer:${customerId}`;
  return `event:${event.publishedSeq ?? event.seq}`;
}

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export function createDestinationRunner(options: RunnerOptions): DestinationRunner {
  const { store, log, lease, logger } = options;
  const now = options.now ?? Date.now;
  const running = new Map<string, Running>();
  let poller: NodeJS.Timeout | undefined;
  let pruner: NodeJS.Timeout | undefined;
  let syncing: Promise<void> | undefined;
  let closed = false;
  /** Whether the last read of the destinations failed: the failure is logged once, not every poll. */
  let failing = false;

  /** Where following starts: the cursor, moved up to the oldest kept event when older ones were pruned. */
  async function startingPoint(cursorSeq: number): Promise<number> {
    const [oldest, last] = await Promise.all([log.oldestPublishedSeq(), log.lastPublishedSeq()]);
    if (cursorSeq > last) return last;
    if (oldest !== undefined && cursorSeq < oldest - 1) {
      logger.warn(
        { cursorSeq, oldest },
        'event destination cursor expired; following from the oldest event kept',
      );
      return oldest - 1;
    }
    return cursorSeq;
  }

  async function take(destination: DestinationRecord, event: StoredEvent, body: string, run: Running) {
    // An operator's replay sends old events to live subscribers again; a destination has them already.
    if (event.replayed || event.publishedSeq === undefined) return;
    const at = now();
    await store.enqueue(
      {
        destinationId: destination.id,
        seq: event.publishedSeq,
        orderKey: orderKeyOf(event),
        state: 'pending',
        attempts: 0,
        nextAttemptAt: at,
        firstAttemptAt: null,
        lastStatus: null,
        lastError: null,
        createdAt: at,
        deliveredAt: null,
      },
      body,
    );
    run.lane.kick();
  }

  async function follow(destination: DestinationRecord, run: Running): Promise<void> {
    run.following = true;
    run.version = destination.version;
    const from = await startingPoint(destination.cursorSeq);
    const contextValue = options.contextFor(destination, from);
    if (contextValue === undefined) {
      logger.warn(
        { destination: destination.id },
        "event destination's owner is not configured; nothing is taken in",
      );
      return;
    }
    const compiled = compileDocument(options.schema, options.rules, destination.query, destination.variables);
    const follower = followDocument({
      schema: options.schema,
      compiled,
      contextValue,
      serialise: options.serialise,
      onEvent: (event, body) => take(destination, event, body, run),
    });
    run.follower = follower;
    follower.done.then(
      () => (run.following = false),
      (error: unknown) => {
        run.following = false;
        if (!closed)
          logger.warn(
            { destination: destination.id, err: error },
            'event destination follower ended; restarting',
          );
      },
    );
  }

  async function stopRun(id: string, run: Running): Promise<void> {
    running.delete(id);
    await run.follower?.stop();
    await run.lane.stop();
    await lease.release(id);
  }

  async function visit(destination: DestinationRecord): Promise<void> {
    let run = running.get(destination.id);
    if (!(await lease.claim(destination.id))) {
      if (run) await stopRun(destination.id, run);
      return;
    }
    if (!run) {
      const id = destination.id;
      run = {
        version: destination.version,
        following: false,
        lane: createLane({
          destinationId: id,
          store,
          sender: options.sender,
          policy: options.policy,
          logger,
          held: () => lease.held(id),
          onAttempt: options.onAttempt,
          now,
          timers: options.timers,
        }),
      };
      running.set(id, run);
    }
    if (run.follower && run.following && run.version !== destination.version) {
      await run.follower.stop();
      run.following = false;
    }
    if (!run.following) {
      try {
        await follow(destination, run);
      } catch (error) {
        run.following = false;
        logger.warn(
          { destination: destination.id, err: error },
          'event destination could not follow its document',
        );
      }
    }
    run.lane.kick();
  }

  async function sync(): Promise<void> {
    const destinations = await store.list();
    const ids = new Set(destinations.map((d) => d.id));
    for (const [id, run] of running) if (!ids.has(id)) await stopRun(id, run);
    for (const destination of destinations) {
      if (closed) return;
      await visit(destination);
    }
  }

  const poll = () => {
    if (syncing || closed) return;
    syncing = sync()
      .then(() => {
        if (failing) logger.info('event destinations read again');
        failing = false;
      })
      .catch((error: unknown) => {
        if (!failing)
          logger.warn({ err: error }, 'event destinations could not be read; retrying every poll');
        failing = true;
      })
      .finally(() => (syncing = undefined));
  };

  return {
    start() {
      poll();
      poller = setInterval(poll, options.pollMs ?? 1000);
      poller.unref();
      const prune = () =>
        void store
          .prune(now() - options.retentionMs)
          .catch((error: unknown) =>
            logger.warn({ err: error }, 'event delivery pruning failed; retrying at the next interval'),
          );
      pruner = setInterval(prune, PRUNE_INTERVAL_MS);
      pruner.unref();
    },
    kick(id) {
      running.get(id)?.lane.kick();
      poll();
    },
    async close() {
      closed = true;
      clearInterval(poller);
      clearInterval(pruner);
      await syncing;
      for (const [id, run] of [...running]) await stopRun(id, run);
    },
  };
}
