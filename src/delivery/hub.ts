// In-process fan-out of published events, and the per-subscriber streams built on it: replay from the
// log after a cursor, then live events, with no gap and no duplicate at the seam, and a bounded buffer.
import { InvalidCursorError } from '../events/cursor.js';
import { type EventLog, type ReadScope, type StoredEvent } from '../events/event-log.js';

export type EventFilter = (event: StoredEvent) => boolean;

/** A subscriber that cannot keep up; its stream ends and it should resume from its last cursor. */
export class SlowConsumerError extends Error {
  constructor(readonly limit: number) {
    super(`More than ${limit} events waited for this subscriber; resubscribe with the last cursor received.`);
    this.name = 'SlowConsumerError';
  }
}

export interface StreamOptions {
  /** Replay published events after this publication sequence first. */
  afterPublishedSeq?: number;
  /**
   * What the filter keeps at most (e.g. one contract), so the replay may read only that from the log. Every
   * event the filter keeps must be in the scope; the filter still runs on what the replay reads.
   */
  scope?: ReadScope;
  /**
   * Called once when the subscriber falls more than `maxBuffered` events behind. A consumer stuck on a
   * full socket never asks for its next event, so the stream cannot end itself: the owner of the socket
   * must close it.
   */
  onOverflow?: () => void;
}

/** A subscriber's events: replayed and buffered ones by iteration, live ones optionally by a sink. */
export interface EventStream extends AsyncIterableIterator<StoredEvent> {
  /**
   * Hands live events to `sink` as they are published, whenever the stream is caught up (its replay and
   * buffer consumed, its consumer waiting for the next event), instead of waking the consumer for each:
   * thousands of subscribers then cost one call each per event rather than a step of their own. Whatever
   * is not caught up still goes through the iterator first, so the order holds. The sink's owner bounds
   * what it has not yet written itself (the buffer limit no longer sees those events).
   */
  pushLive(sink: (event: StoredEvent) => void): void;
}

export interface EventHub {
  publish(event: StoredEvent): void;
  /**
   * Replays published events after `afterPublishedSeq` (when given), then follows live ones. Rejects with
   * InvalidCursorError when the cursor is from the future or its events are no longer kept.
   */
  stream(filter: EventFilter, options?: StreamOptions): Promise<EventStream>;
  /** Events a subscriber may have waiting before it is dropped as a slow consumer. */
  readonly maxBuffered: number;
  /** Open streams, for metrics and leak tests. */
  readonly size: number;
  /** Streams opened and closed since start (monotonic counters, for metrics and tests). */
  readonly opened: number;
  readonly closed: number;
  /**
   * Resolves once `opened` (or `closed`) has reached `count`: a deferred to wait on ("both subscribers are
   * live") instead of polling the counters.
   */
  untilCount(counter: 'opened' | 'closed', count: number): Promise<void>;
}

export interface EventHubOptions {
  log: EventLog;
  /** Events a subscriber may have waiting before it is dropped as a slow consumer. @default 1000 */
  maxBuffered?: number;
  /** Events read from the log per replay query. @default 500 */
  replayPageSize?: number;
}

/** What a stream needs of its hub. */
interface StreamOwner {
  readonly log: EventLog;
  readonly maxBuffered: number;
  readonly pageSize: number;
  /** Called by each stream as it stops (more than once is harmless). */
  stopped(stream: LiveStream): void;
}

/**
 * One subscriber's stream. A class whose generator is a method: thousands of idle subscriptions share
 * its functions and object shapes, where closures and a generator declared per call would give each
 * stream a dozen functions and shapes of its own.
 */
class LiveStream implements EventStream {
  /** Events waiting for the consumer; made when the first one waits (most idle streams never need one). */
  private queue: StoredEvent[] | undefined = undefined;
  private wake: (() => void) | undefined = undefined;
  private sink: ((event: StoredEvent) => void) | undefined = undefined;
  private overflow = false;
  private done = false;
  private readonly events: AsyncGenerator<StoredEvent>;
  /** The publication sequence the replay has read through (undefined: no replay). */
  private replayedThrough: number | undefined;

  constructor(
    private readonly owner: StreamOwner,
    private readonly filter: EventFilter,
    afterPublishedSeq: number | undefined,
    /** Needed only by the replay: let go once it is read, so an idle stream does not hold it. */
    private scope: ReadScope | undefined,
    private readonly onOverflow: (() => void) | undefined,
  ) {
    this.replayedThrough = afterPublishedSeq;
    this.events = this.run();
  }

  /**
   * Whether the replay already read this event: the log can hold an event before the hub hears of it (a
   * Redis instance's tail hands it over after the replay read it through the newest mark). A replay is an
   * old event sent again on purpose: the seam check does not apply to it.
   */
  private replayedAlready(event: StoredEvent): boolean {
    return (
      !event.replayed && this.replayedThrough !== undefined && event.publishedSeq! <= this.replayedThrough
    );
  }

  /** A published event: for the sink, the buffer, or (past the limit) the overflow. */
  offer(event: StoredEvent): void {
    // Checked here too, not only as the buffer is read: a pushed event goes past the buffer.
    if (this.done || !this.filter(event) || this.replayedAlready(event)) return;
    const queued = this.queue?.length ?? 0;
    // `wake` is set only while the consumer waits in the live loop with everything before consumed.
    if (this.sink && this.wake && queued === 0) this.sink(event);
    else if (queued < this.owner.maxBuffered) (this.queue ??= []).push(event);
    else if (!this.overflow) {
      this.overflow = true;
      if (this.onOverflow) queueMicrotask(this.onOverflow);
    }
    this.wake?.();
  }

  pushLive(sink: (event: StoredEvent) => void): void {
    this.sink = sink;
  }

  next(): Promise<IteratorResult<StoredEvent>> {
    return this.events.next();
  }

  /** graphql-ws calls return() on complete or disconnect: the stream ends even while it waits. */
  return(value?: unknown): Promise<IteratorResult<StoredEvent>> {
    this.stop();
    return this.events.return(value);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private stop(): void {
    this.done = true;
    this.owner.stopped(this);
    this.wake?.();
  }

  private async *run(): AsyncGenerator<StoredEvent> {
    const { owner } = this;
    try {
      if (this.replayedThrough !== undefined) {
        const cursor = this.replayedThrough;
        for (let first = true; ; first = false) {
          // A scoped read skips events the filter drops anyway; the seam check below only meets
          // events the filter keeps, so reading through the last kept one is enough.
          const page = await owner.log.readPublished(this.replayedThrough, owner.pageSize, this.scope);
          if (first) await assertStillKept(owner.log, cursor);
          for (const event of page) {
            this.replayedThrough = event.publishedSeq!;
            if (this.filter(event)) yield event;
            if (this.done) return;
          }
          if (page.length < owner.pageSize) break;
        }
        this.scope = undefined;
      }
      while (!this.done) {
        const next = this.queue?.shift();
        if (next) {
          // Buffered while the replay read further.
          if (this.replayedAlready(next)) continue;
          yield next;
          continue;
        }
        // What was buffered went out first, so the subscriber's last cursor is as late as it can be.
        if (this.overflow) throw new SlowConsumerError(owner.maxBuffered);
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      this.stop();
    }
  }
}

/**
 * Whether the events after a cursor are all still kept: checked as a subscription is opened and again
 * once its replay has read its first page, since pruning may have run between the two. Pruning only
 * moves the oldest kept event forward, so what is kept after the read was kept during it.
 */
async function assertStillKept(log: EventLog, afterPublishedSeq: number): Promise<void> {
  const [last, oldest] = await Promise.all([log.lastPublishedSeq(), log.oldestPublishedSeq()]);
  if (afterPublishedSeq > last) throw new InvalidCursorError('`after` is not a cursor of this gateway.');
  // The next event after the cursor must still be in the log, or the subscriber would miss some.
  const kept = oldest === undefined ? afterPublishedSeq === last : afterPublishedSeq >= oldest - 1;
  if (!kept) throw new InvalidCursorError('`after` has expired: events after it are no longer kept.');
}

export function createEventHub(options: EventHubOptions): EventHub {
  const { log } = options;
  const maxBuffered = options.maxBuffered ?? 1000;
  const pageSize = options.replayPageSize ?? 500;
  const streams = new Set<LiveStream>();
  let opened = 0;
  let closed = 0;
  let waiters: { counter: 'opened' | 'closed'; count: number; resolve: () => void }[] = [];
  const settleWaiters = () => {
    if (waiters.length === 0) return;
    const counts = { opened, closed };
    waiters = waiters.filter((waiter) => {
      if (counts[waiter.counter] < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };
  const owner: StreamOwner = {
    log,
    maxBuffered,
    pageSize,
    stopped(stream) {
      if (!streams.delete(stream)) return;
      closed += 1;
      settleWaiters();
    },
  };

  async function stream(
    filter: EventFilter,
    { afterPublishedSeq, scope, onOverflow }: StreamOptions = {},
  ): Promise<EventStream> {
    if (afterPublishedSeq !== undefined) await assertStillKept(log, afterPublishedSeq);
    // Listen before reading the log, so nothing published during the replay is lost; the seam is
    // deduplicated by publication sequence.
    const created = new LiveStream(owner, filter, afterPublishedSeq, scope, onOverflow);
    streams.add(created);
    opened += 1;
    settleWaiters();
    return created;
  }

  return {
    publish(event) {
      for (const stream of streams) stream.offer(event);
    },
    stream,
    maxBuffered,
    get size() {
      return streams.size;
    },
    get opened() {
      return opened;
    },
    get closed() {
      return closed;
    },
    untilCount(counter, count) {
      if ((counter === 'opened' ? opened : closed) >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ counter, count, resolve }));
    },
  };
}
