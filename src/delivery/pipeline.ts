// After a notice is stored: enrich it over REST and publish it, one contract at a time in billwerk's
// order, contracts in parallel. A failing enrichment is retried with backoff without blocking others, and
// so is a failing write of the published event (the store may be briefly unreachable).
import { type Logger } from '../logger.js';
import { type BillwerkReader } from '../loaders/reader.js';
import { enrich, invalidateFor } from './enrich.js';
import { type Enrichment, type EventLog, type StoredEvent } from '../events/event-log.js';
import { type EventHub } from './hub.js';
import { LostLeaseError } from '../events/enrichment-lease.js';
import { type ParsedNotice } from '../events/notice.js';
import { createPauses, type Pauses } from './pauses.js';

export interface PipelineOptions {
  log: EventLog;
  /**
   * Where published events go on this instance. Omitted when they reach subscribers another way (with
   * Redis, every instance reads them from the published stream).
   */
  hub?: Pick<EventHub, 'publish'>;
  reader: BillwerkReader;
  logger: Logger;
  /** Enrichment attempts before an event is published without details (state `failed`). @default 6 */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, capped at 30 s. @default 500 */
  retryBaseDelayMs?: number;
  /**
   * Unpublished events read from the log per page when resuming, and how many may wait in the lanes
   * before the next page is read (what a backlog costs in memory, whatever its size). @default 100
   */
  batchSize?: number;
  /**
   * Events enriched at once, whatever the number of contracts waiting. Enrichment and queries share the
   * billwerk client's connections (32), and an enrichment takes up to three at once: unbounded, a backlog
   * over many contracts queues hundreds of calls ahead of every query's. Eight take at most 24 of the 32,
   * so a quarter stays free for queries, and cost enrichment at most a quarter of what the pool would let
   * it do anyway (at 20 ms a call, eight enrich about 400 events a second). @default 8
   */
  maxEnrichments?: number;
  now?: () => Date;
}

export interface EventPipeline {
  /**
   * Queues a stored event for enrichment and publication; resolves when it was published, or given up
   * (pipeline closed, lease lost). While the backlog is being resumed, a newer event waits in the log and
   * is read with it, so each contract's events keep billwerk's order.
   */
  submit(seq: number, notice: ParsedNotice): Promise<void>;
  /**
   * Hands what the log holds unpublished (after a restart) to the lanes in receipt order, a page at a
   * time: the next page is read once fewer than `batchSize` events wait. Resolves when all of it was
   * handed on; a failing read is retried.
   */
  resume(): Promise<void>;
  /** Resolves when fewer than `batchSize` events wait in the lanes (a reader of a backlog waits on it). */
  room(): Promise<void>;
  /** Resolves when every queued event has been published and nothing is being resumed. */
  idle(): Promise<void>;
  /**
   * Gives up every event queued so far without publishing it; one being enriched or published stops
   * before its next attempt. For a lease holder that lost the lease (redis-relay.ts): the next holder
   * reads them again, in order. Were they kept, one could be published after the lease came back, behind
   * a newer event of its contract that was published meanwhile.
   */
  abandon(): void;
  /** Stops retry timers; queued work is left in the log for the next start. */
  close(): Promise<void>;
}

/** Runs at most `limit` of the work handed to it at once; the rest waits in arrival order. */
function limiter(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (active < limit) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The slot goes straight to the next in line, or is freed.
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}

/** Events of one contract (or customer) share a lane; anything else runs alone. */
function laneOf(seq: number, notice: ParsedNotice): string {
  if (notice.contractId) return `contract:${notice.contractId}`;
  if (notice.customerId) return `customer:${notice.customerId}`;
  return `event:${seq}`;
}

/** What the pipeline's operations share: its settings, its lanes and the backlog's resume. */
interface PipelineState {
  readonly log: EventLog;
  readonly hub: Pick<EventHub, 'publish'> | undefined;
  readonly reader: BillwerkReader;
  readonly logger: Logger;
  readonly maxAttempts: number;
  readonly baseDelay: number;
  readonly now: () => Date;
  readonly batchSize: number;
  readonly enrichmentSlot: ReturnType<typeof limiter>;
  readonly lanes: Map<string, Promise<void>>;
  /** The retries' backoff, cut short by close() and abandon(). */
  readonly pauses: Pauses;
  closed: boolean;
  /** Raised by abandon(): events queued under an earlier generation are given up. */
  generation: number;
  /** The newest event the backlog's resume has queued: what the webhook route hands on up to it is queued. */
  resumedThrough: number;
  /** Events handed to the lanes and not yet published (or given up). */
  queued: number;
  readonly roomWaiters: (() => void)[];
  /** While resuming: the receipt sequence read up to, and what newer submissions wait for. */
  resuming: Resuming | undefined;
  resumed: Promise<void> | undefined;
}

interface Resuming {
  through: number;
  newest: number;
  readonly waiting: Map<number, () => void>;
}

function pipelineState(options: PipelineOptions): PipelineState {
  return {
    log: options.log,
    hub: options.hub,
    reader: options.reader,
    logger: options.logger,
    maxAttempts: options.maxAttempts ?? 6,
    baseDelay: options.retryBaseDelayMs ?? 500,
    now: options.now ?? (() => new Date()),
    batchSize: options.batchSize ?? 100,
    enrichmentSlot: limiter(options.maxEnrichments ?? 8),
    lanes: new Map(),
    pauses: createPauses(),
    closed: false,
    generation: 0,
    resumedThrough: 0,
    queued: 0,
    roomWaiters: [],
    resuming: undefined,
    resumed: undefined,
  };
}

/** An event handed to a lane. */
interface Queued {
  readonly seq: number;
  readonly notice: ParsedNotice;
  /** The generation it was queued in (see `current`). */
  readonly queuedIn: number;
  /** The cache's mark as it was handed on: its enrichment reads started at or after it. */
  readonly since: number;
}

/**
 * Whether an event queued in generation `queuedIn` may still be worked on. Checked right before each
 * attempt: between the check and the lease token publish() reads there is no await, so an abandoned
 * event never publishes under a lease taken after it was abandoned.
 */
const current = (state: PipelineState, queuedIn: number) => !state.closed && queuedIn === state.generation;

/** Enriches over REST, retrying with backoff; undefined once the attempts are used up (or given up). */
async function enrichWithRetries(
  state: PipelineState,
  { seq, notice, queuedIn, since }: Queued,
): Promise<Enrichment | undefined> {
  const { log, logger, reader } = state;
  for (let attempt = 1; current(state, queuedIn); attempt += 1) {
    try {
      // Looked at again once a slot is free: an event closed or abandoned while it waited costs no call.
      return await state.enrichmentSlot(() =>
        current(state, queuedIn) ? enrich(notice, reader, since) : Promise.resolve(undefined),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await log.recordFailure(seq, message).catch((failure: unknown) => {
        logger.warn({ err: failure, seq }, 'could not record an enrichment failure');
      });
      if (attempt >= state.maxAttempts) {
        logger.warn(
          { seq, event: notice.event, attempts: attempt },
          'enrichment gave up; publishing without details',
        );
        return undefined;
      }
      const delay = Math.min(state.baseDelay * 2 ** (attempt - 1), 30_000);
      logger.info({ seq, event: notice.event, attempt, delayMs: delay }, 'enrichment failed; retrying');
      await state.pauses.pause(delay);
    }
  }
  return undefined;
}

/** Writes the published event to the log, retrying until written (or given up), and hands it to the hub. */
async function publishWithRetries(
  state: PipelineState,
  seq: number,
  enrichment: Enrichment | undefined,
  queuedIn: number,
): Promise<void> {
  const { log, logger } = state;
  // The lane waits until the event is written: a later event of the contract must not go out first.
  for (let attempt = 1; current(state, queuedIn); attempt += 1) {
    let published: StoredEvent;
    try {
      published = await log.publish(seq, enrichment, enrichment ? 'published' : 'failed', state.now());
    } catch (error) {
      if (error instanceof LostLeaseError) {
        logger.info({ seq }, 'enrichment lease lost; the new holder publishes this event');
        return;
      }
      // At most 5 s apart: the store (or, with REDIS_WAIT_REPLICAS, a replica) is back within seconds
      // of a failover, and the contract's later events wait behind this one.
      const delay = Math.min(state.baseDelay * 2 ** (attempt - 1), 5_000);
      logger.warn({ err: error, seq, delayMs: delay }, 'could not publish an event; retrying');
      await state.pauses.pause(delay);
      continue;
    }
    state.hub?.publish(published);
    return;
  }
}

async function process(state: PipelineState, queued: Queued) {
  const enrichment = await enrichWithRetries(state, queued);
  await publishWithRetries(state, queued.seq, enrichment, queued.queuedIn);
}

function enqueue(state: PipelineState, seq: number, notice: ParsedNotice): Promise<void> {
  const { lanes, reader } = state;
  const lane = laneOf(seq, notice);
  const previous = lanes.get(lane) ?? Promise.resolve();
  state.queued += 1;
  // Handed on after its receipt: what the cache holds of the entities it names may predate the change it
  // announces, and any read started from here on does not. So a read made for an event ahead of it in the
  // lane, once this one waits behind, serves this one too: a burst on one contract costs one read.
  invalidateFor(notice, reader);
  const queued: Queued = { seq, notice, queuedIn: state.generation, since: reader.cache.mark() };
  const next = previous
    .then(() => process(state, queued))
    .catch((error: unknown) => state.logger.error({ err: error, seq }, 'event processing failed'))
    .finally(() => {
      if (lanes.get(lane) === next) lanes.delete(lane);
      state.queued -= 1;
      if (state.queued < state.batchSize || state.closed) wakeRoomWaiters(state);
    });
  lanes.set(lane, next);
  return next;
}

function submit(state: PipelineState, seq: number, notice: ParsedNotice): Promise<void> {
  // Read by the resume already (stored just before the resume's read reached it, handed on just after):
  // queued once, by the resume, which may have finished meanwhile.
  if (seq <= state.resumedThrough) return state.lanes.get(laneOf(seq, notice)) ?? Promise.resolve();
  const wait = state.resuming;
  if (wait && seq > wait.through) {
    // The log has it; the resume reads it after the older events of its contract.
    wait.newest = Math.max(wait.newest, seq);
    return new Promise((resolve) => wait.waiting.set(seq, resolve));
  }
  return enqueue(state, seq, notice);
}

const room = (state: PipelineState): Promise<void> =>
  state.queued < state.batchSize || state.closed
    ? Promise.resolve()
    : new Promise((resolve) => state.roomWaiters.push(resolve));

function wakeRoomWaiters(state: PipelineState): void {
  for (const wake of state.roomWaiters.splice(0)) wake();
}

async function resumeBacklog(state: PipelineState): Promise<void> {
  const { log, logger, batchSize } = state;
  const resuming: Resuming = { through: 0, newest: 0, waiting: new Map() };
  state.resuming = resuming;
  try {
    for (let attempt = 1; !state.closed;) {
      await room(state);
      if (state.closed) break;
      let page;
      try {
        page = await log.pending(resuming.through, batchSize);
        attempt = 1;
      } catch (error) {
        const delay = Math.min(state.baseDelay * 2 ** (attempt - 1), 30_000);
        logger.warn({ err: error, delayMs: delay }, 'could not read the unpublished backlog; retrying');
        attempt += 1;
        await state.pauses.pause(delay);
        continue;
      }
      for (const event of page) {
        resuming.through = event.seq;
        state.resumedThrough = event.seq;
        const done = enqueue(state, event.seq, event.notice);
        const waiter = resuming.waiting.get(event.seq);
        if (waiter) {
          resuming.waiting.delete(event.seq);
          void done.then(waiter);
        }
      }
      // A short page is the end, unless an event arrived after it was read.
      if (page.length < batchSize && resuming.newest <= resuming.through) break;
    }
  } finally {
    state.resuming = undefined;
    for (const waiter of resuming.waiting.values()) waiter();
  }
}

/** The pipeline's state and its operations: submit → process (enrich, then publish), resume, room, close. */
export function createEventPipeline(options: PipelineOptions): EventPipeline {
  const state = pipelineState(options);
  return {
    submit: (seq, notice) => submit(state, seq, notice),
    resume() {
      state.resumed ??= resumeBacklog(state).finally(() => (state.resumed = undefined));
      return state.resumed;
    },
    room: () => room(state),
    async idle() {
      while (state.resumed || state.lanes.size > 0) {
        await state.resumed;
        await Promise.all([...state.lanes.values()]);
      }
    },
    abandon() {
      state.generation += 1;
      state.pauses.cutShort();
    },
    async close() {
      state.closed = true;
      state.pauses.cutShort();
      wakeRoomWaiters(state);
      await state.resumed;
      await Promise.all([...state.lanes.values()]);
    },
  };
}
