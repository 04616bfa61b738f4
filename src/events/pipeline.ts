// After a notice is stored: enrich it over REST and publish it, one contract at a time in billwerk's
// order, contracts in parallel. A failing enrichment is retried with backoff without blocking others, and
// so is a failing write of the published event (the store may be briefly unreachable).
import { type Logger } from '../logger.js';
import { type BillwerkReader } from '../loaders/reader.js';
import { enrich, invalidateFor } from './enrich.js';
import { type Enrichment, type EventLog, type StoredEvent } from './event-log.js';
import { type EventHub } from './hub.js';
import { LostLeaseError } from './enrichment-lease.js';
import { type ParsedNotice } from './notice.js';

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
  now?: () => Date;
}

export interface EventPipeline {
  /**
   * Queues a stored event for enrichment and publication; resolves when it was published, or given up
   * (pipeline closed, lease lost).
   */
  submit(seq: number, notice: ParsedNotice): Promise<void>;
  /** Re-queues what the log holds unpublished (after a restart), in receipt order. */
  resume(): Promise<void>;
  /** Resolves when every queued event has been published. */
  idle(): Promise<void>;
  /** Stops retry timers; queued work is left in the log for the next start. */
  close(): Promise<void>;
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
  const lanes = new Map<string, Promise<void>>();
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;

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

  async function process(seq: number, notice: ParsedNotice): Promise<void> {
    let enrichment: Enrichment | undefined;
    for (let attempt = 1; !closed; attempt += 1) {
      try {
        invalidateFor(notice, reader);
        enrichment = await enrich(notice, reader);
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
    for (let attempt = 1; !closed; attempt += 1) {
      let published: StoredEvent;
      try {
        published = await log.publish(seq, enrichment, enrichment ? 'published' : 'failed', now());
      } catch (error) {
        if (error instanceof LostLeaseError) {
          logger.info({ seq }, 'enrichment lease lost; the new holder publishes this event');
          return;
        }
        const delay = Math.min(baseDelay * 2 ** (attempt - 1), 30_000);
        logger.warn({ err: error, seq, delayMs: delay }, 'could not publish an event; retrying');
        await sleep(delay);
        continue;
      }
      hub?.publish(published);
      return;
    }
  }

  function submit(seq: number, notice: ParsedNotice): Promise<void> {
    const lane = laneOf(seq, notice);
    const previous = lanes.get(lane) ?? Promise.resolve();
    const next = previous
      .then(() => process(seq, notice))
      .catch((error: unknown) => logger.error({ err: error, seq }, 'event processing failed'))
      .finally(() => {
        if (lanes.get(lane) === next) lanes.delete(lane);
      });
    lanes.set(lane, next);
    return next;
  }

  return {
    submit,
    async resume() {
      for (const event of await log.pending()) void submit(event.seq, event.notice);
    },
    async idle() {
      while (lanes.size > 0) await Promise.all([...lanes.values()]);
    },
    async close() {
      closed = true;
      for (const entry of timers) entry.resolve();
      await Promise.all([...lanes.values()]);
    },
  };
}
