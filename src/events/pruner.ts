// Keeps the event log within its bounds (EVENT_RETENTION_DAYS, EVENT_RETENTION_MAX_EVENTS) in small
// steps that run all the time, yielding to the event loop between them, rather than in one long statement.
import { performance } from 'node:perf_hooks';
import { type Logger } from '../logger.js';
import { type EventLog } from './event-log.js';

export interface PrunerOptions {
  log: EventLog;
  /** How long published events are kept (EVENT_RETENTION_DAYS). */
  retentionMs: number;
  /** How many published events are kept at most (EVENT_RETENTION_MAX_EVENTS). */
  maxEvents: number;
  logger: Logger;
  /** How long pruning waits once nothing is left to prune. @default 1000 */
  idleMs?: number;
  /**
   * What a step should take at most: a faster step grows the next one, a slower one halves it. The
   * SQLite log runs on the event loop, so this bounds the stall a step can cause. A step overshoots its
   * target by up to about 1.6× before the next one halves (8 ms seen at a 5 ms target in a soak), so the
   * default leaves that room below the 10 ms a step may take at most. @default 3
   */
  targetStepMs?: number;
  /** Events a step removes at most, to begin with (then adapted to targetStepMs). @default 100 */
  initialStepEvents?: number;
  /** Told of each step that removed something: how many events and how long it took. @default none */
  onStep?: (removed: number, seconds: number) => void;
  /** @default Date.now */
  now?: () => number;
  /** The monotonic clock a step is timed with, in milliseconds. @default performance.now */
  monotonicNow?: () => number;
}

export interface Pruner {
  close(): Promise<void>;
}

const MIN_STEP_EVENTS = 10;
const MAX_STEP_EVENTS = 2000;

export function startPruner(options: PrunerOptions): Pruner {
  const { log, logger } = options;
  const idleMs = options.idleMs ?? 1000;
  const targetMs = options.targetStepMs ?? 3;
  const now = options.now ?? Date.now;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  let limit = options.initialStepEvents ?? 100;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  /** Steps back to back (each after the I/O waiting behind the last) until a step finds too little. */
  async function run(): Promise<void> {
    while (!closed) {
      const asked = limit;
      const started = monotonicNow();
      const removed = await log.prune({
        before: new Date(now() - options.retentionMs),
        maxEvents: options.maxEvents,
        limit: asked,
      });
      const ms = monotonicNow() - started;
      if (removed > 0) options.onStep?.(removed, ms / 1000);
      if (ms > targetMs) limit = Math.max(MIN_STEP_EVENTS, Math.floor(asked / 2));
      else if (removed === asked && ms < targetMs / 2) {
        limit = Math.min(MAX_STEP_EVENTS, Math.ceil(asked * 1.5));
      }
      if (removed < asked) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  function cycle(): void {
    running = run()
      .catch((error: unknown) => logger.warn({ err: error }, 'event log pruning failed; trying again'))
      .finally(() => {
        if (closed) return;
        timer = setTimeout(cycle, idleMs);
        timer.unref();
      });
  }
  cycle();

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
