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

/** What the runner's operations share: its options, the destinations it runs, and the poll's progress. */
interface RunnerState {
  readonly options: RunnerOptions;
  readonly now: () => number;
  /** The destinations this instance holds the lease of, by id. */
  readonly running: Map<string, Running>;
  syncing: Promise<void> | undefined;
  closed: boolean;
  /** Whether the last read of the destinations failed: the failure is logged once, not every poll. */
  failing: boolean;
}

/** Where following starts: the cursor, moved up to the oldest kept event when older ones were pruned. */
async function startingPoint({ options }: RunnerState, cursorSeq: number): Promise<number> {
  const { log, logger } = options;
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

/** Takes an event the document selected in as a stored delivery, and wakes the lane. */
async function take(
  runner: RunnerState,
  destination: DestinationRecord,
  event: StoredEvent,
  body: string,
  run: Running,
) {
  // An operator's replay sends old events to live subscribers again; a destination has them already.
  if (event.replayed || event.publishedSeq === undefined) return;
  const at = runner.now();
  await runner.options.store.enqueue(
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

/** Starts the destination's follower: its document over the events from its cursor on. */
async function follow(runner: RunnerState, destination: DestinationRecord, run: Running): Promise<void> {
  const { options } = runner;
  const { logger } = options;
  run.following = true;
  run.version = destination.version;
  const from = await startingPoint(runner, destination.cursorSeq);
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
    onEvent: (event, body) => take(runner, destination, event, body, run),
  });
  run.follower = follower;
  follower.done.then(
    () => (run.following = false),
    (error: unknown) => {
      run.following = false;
      if (!runner.closed)
        logger.warn(
          { destination: destination.id, err: error },
          'event destination follower ended; restarting',
        );
    },
  );
}

/** The delivery lane of a destination this instance has just taken the lease of. */
function laneFor({ options, now }: RunnerState, id: string): Lane {
  return createLane({
    destinationId: id,
    store: options.store,
    sender: options.sender,
    policy: options.policy,
    logger: options.logger,
    held: () => options.lease.held(id),
    onAttempt: options.onAttempt,
    now,
    timers: options.timers,
  });
}

async function stopRun(runner: RunnerState, id: string, run: Running): Promise<void> {
  runner.running.delete(id);
  await run.follower?.stop();
  await run.lane.stop();
  await runner.options.lease.release(id);
}

/** Claims or renews the destination's lease and brings its follower and lane up to its current version. */
async function visit(runner: RunnerState, destination: DestinationRecord): Promise<void> {
  let run = runner.running.get(destination.id);
  if (!(await runner.options.lease.claim(destination.id))) {
    if (run) await stopRun(runner, destination.id, run);
    return;
  }
  if (!run) {
    run = { version: destination.version, following: false, lane: laneFor(runner, destination.id) };
    runner.running.set(destination.id, run);
  }
  if (run.follower && run.following && run.version !== destination.version) {
    await run.follower.stop();
    run.following = false;
  }
  if (!run.following) {
    try {
      await follow(runner, destination, run);
    } catch (error) {
      run.following = false;
      runner.options.logger.warn(
        { destination: destination.id, err: error },
        'event destination could not follow its document',
      );
    }
  }
  run.lane.kick();
}

async function sync(runner: RunnerState): Promise<void> {
  const destinations = await runner.options.store.list();
  const ids = new Set(destinations.map((d) => d.id));
  for (const [id, run] of runner.running) if (!ids.has(id)) await stopRun(runner, id, run);
  for (const destination of destinations) {
    if (runner.closed) return;
    await visit(runner, destination);
  }
}

/** Re-reads the destinations unless a read is under way. */
function poll(runner: RunnerState): void {
  const { logger } = runner.options;
  if (runner.syncing || runner.closed) return;
  runner.syncing = sync(runner)
    .then(() => {
      if (runner.failing) logger.info('event destinations read again');
      runner.failing = false;
    })
    .catch((error: unknown) => {
      if (!runner.failing)
        logger.warn({ err: error }, 'event destinations could not be read; retrying every poll');
      runner.failing = true;
    })
    .finally(() => (runner.syncing = undefined));
}

function prune({ options, now }: RunnerState): void {
  void options.store
    .prune(now() - options.retentionMs)
    .catch((error: unknown) =>
      options.logger.warn({ err: error }, 'event delivery pruning failed; retrying at the next interval'),
    );
}

/** The runner's state and its timers: the poll (sync → visit → follow and the lane) and the hourly prune. */
export function createDestinationRunner(options: RunnerOptions): DestinationRunner {
  const runner: RunnerState = {
    options,
    now: options.now ?? Date.now,
    running: new Map(),
    syncing: undefined,
    closed: false,
    failing: false,
  };
  let poller: NodeJS.Timeout | undefined;
  let pruner: NodeJS.Timeout | undefined;
  return {
    start() {
      poll(runner);
      poller = setInterval(() => poll(runner), options.pollMs ?? 1000);
      poller.unref();
      pruner = setInterval(() => prune(runner), PRUNE_INTERVAL_MS);
      pruner.unref();
    },
    kick(id) {
      runner.running.get(id)?.lane.kick();
      poll(runner);
    },
    async close() {
      runner.closed = true;
      clearInterval(poller);
      clearInterval(pruner);
      await runner.syncing;
      for (const [id, run] of [...runner.running]) await stopRun(runner, id, run);
    },
  };
}
