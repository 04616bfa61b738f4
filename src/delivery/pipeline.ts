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

export function createEventPipeline(options: PipelineOptions): EventPipeline {
  const { log, hub, reader, logger } = options;
  const maxAttempts = options.maxAttempts ?? 6;
  const baseDelay = options.retryBaseDelayMs ?? 500;
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 100;
  const enrichmentSlot = limiter(options.maxEnrichments ?? 8);
  const lanes = new Map<string, Promise<void>>();
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;
  /** Raised by abandon(): events queued under an earlier generation are given up. */
  let generation = 0;
  /** The newest event the backlog's resume has queued: what the webhook route hands on up to it is queued. */
  let resumedThrough = 0;
  /** Events handed to the lanes and not yet published (or given up). */
  let queued = 0;
  const roomWaiters: (() => void)[] = [];
  /** While resuming: the receipt sequence read up to, and what newer submissions wait for. */
  let resuming: { through: number; newest: number; waiting: Map<number, () => void> } | undefined;
  let resumed: Promise<void> | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => done(), ms), resolve: () => done() };
      function done() {
        clearTimeout(entry.timer);
        timers.delete(entry);
        resolve();
      }
      timers.add(entry);
    });

  async function process(seq: number, notice: ParsedNotice, queuedIn: number): Promise<void> {
    // Checked right before each attempt: between the check and the lease token publish() reads there is
    // no await, so an abandoned event never publishes under a lease taken after it was abandoned.
    const current = () => !closed && queuedIn === generation;
    let enrichment: Enrichment | undefined;
    for (let attempt = 1; current(); attempt += 1) {
      try {
        invalidateFor(notice, reader);
        // Looked at again once a slot is free: an event closed or abandoned while it waited costs no call.
        enrichment = await enrichmentSlot(() =>
          current() ? enrich(notice, reader) : Promise.resolve(undefined),
        );
        break;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await log.recordFailure(seq, message).catch((failure: unknown) => {
          logger.warn({ err: failure, seq }, 'could not record an enrichment failure');
        });
        if (attempt >= maxAttempts) {
          logger.warn(
            { seq, event: notice.event, attempts: attempt },
            'enrichment gave up; publishing without details',
          );
          break;
        }
        const delay = Math.min(baseDelay * 2 ** (attempt - 1), 30_000);
        logger.info({ seq, event: notice.event, attempt, delayMs: delay }, 'enrichment failed; retrying');
        await sleep(delay);
      }
    }
    // The lane waits until the event is written: a later event of the contract must not go out first.
    for (let attempt = 1; current(); attempt += 1) {
      let published: StoredEvent;
      try {
        published = await log.publish(seq, enrichment, enrichment ? 'published' : 'failed', now());
      } catch (error) {
        if (error instanceof LostLeaseError) {
          logger.info({ seq }, 'enrichment lease lost; the new holder publishes this event');
          return;
        }
        // At most 5 s apart: the store (or, with REDIS_WAIT_REPLICAS, a replica) is back within seconds
        // of a failover, and the contract's later events wait behind this one.
        const delay = Math.min(baseDelay * 2 ** (attempt - 1), 5_000);
        logger.warn({ err: error, seq, delayMs: delay }, 'could not publish an event; retrying');
        await sleep(delay);
        continue;
      }
      hub?.publish(published);
      return;
    }
  }

  function enqueue(seq: number, notice: ParsedNotice): Promise<void> {
    const lane = laneOf(seq, notice);
    const previous = lanes.get(lane) ?? Promise.resolve();
    queued += 1;
    const queuedIn = generation;
    const next = previous
      .then(() => process(seq, notice, queuedIn))
      .catch((error: unknown) => logger.error({ err: error, seq }, 'event processing failed'))
      .finally(() => {
        if (lanes.get(lane) === next) lanes.delete(lane);
        queued -= 1;
        if (queued < batchSize || closed) for (const wake of roomWaiters.splice(0)) wake();
      });
    lanes.set(lane, next);
    return next;
  }

  function submit(seq: number, notice: ParsedNotice): Promise<void> {
    // Read by the resume already (stored just before the resume's read reached it, handed on just after):
    // queued once, by the resume, which may have finished meanwhile.
    if (seq <= resumedThrough) return lanes.get(laneOf(seq, notice)) ?? Promise.resolve();
    if (resuming && seq > resuming.through) {
      // The log has it; the resume reads it after the older events of its contract.
      const wait = resuming;
      wait.newest = Math.max(wait.newest, seq);
      return new Promise((resolve) => wait.waiting.set(seq, resolve));
    }
    return enqueue(seq, notice);
  }

  const room = (): Promise<void> =>
    queued < batchSize || closed ? Promise.resolve() : new Promise((resolve) => roomWaiters.push(resolve));

  async function resumeBacklog(): Promise<void> {
    const state = { through: 0, newest: 0, waiting: new Map<number, () => void>() };
    resuming = state;
    try {
      for (let attempt = 1; !closed;) {
        await room();
        if (closed) break;
        let page;
        try {
          page = await log.pending(state.through, batchSize);
          attempt = 1;
        } catch (error) {
          const delay = Math.min(baseDelay * 2 ** (attempt - 1), 30_000);
          logger.warn({ err: error, delayMs: delay }, 'could not read the unpublished backlog; retrying');
          attempt += 1;
          await sleep(delay);
          continue;
        }
        for (const event of page) {
          state.through = event.seq;
          resumedThrough = event.seq;
          const done = enqueue(event.seq, event.notice);
          const waiter = state.waiting.get(event.seq);
          if (waiter) {
            state.waiting.delete(event.seq);
            void done.then(waiter);
          }
        }
        // A short page is the end, unless an event arrived after it was read.
        if (page.length < batchSize && state.newest <= state.through) break;
      }
    } finally {
      resuming = undefined;
      for (const waiter of state.waiting.values()) waiter();
    }
  }

  return {
    submit,
    resume() {
      resumed ??= resumeBacklog().finally(() => (resumed = undefined));
      return resumed;
    },
    room,
    async idle() {
      while (resumed || lanes.size > 0) {
        await resumed;
        await Promise.all([...lanes.values()]);
      }
    },
    abandon() {
      generation += 1;
      for (const entry of timers) entry.resolve();
    },
    async close() {
      closed = true;
      for (const entry of timers) entry.resolve();
      for (const wake of roomWaiters.splice(0)) wake();
      await resumed;
      await Promise.all([...lanes.values()]);
    },
  };
}
