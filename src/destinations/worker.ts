// The delivery lane of one destination: attempts its due deliveries, the oldest open one of each contract
// at a time (a failing event holds the later events of its contract, never those of another), retries with
// exponential backoff and jitter for the retry window, then marks the delivery dead; a destination whose
// deliveries keep failing past the disable threshold is disabled with the reason.
import { encodeEventCursor } from '../events/cursor.js';
import { type Logger } from '../logger.js';
import { type AttemptOutcome, type Sender } from './attempt.js';
import {
  type AttemptRecord,
  type DeliveryRecord,
  type DestinationRecord,
  type DestinationStore,
} from './destination.js';
import { validSecrets } from './signer.js';

export interface RetryPolicy {
  /** EVENT_DESTINATION_RETRY_BASE_MS: the first retry's delay; each later one doubles. */
  baseMs: number;
  /** EVENT_DESTINATION_RETRY_HOURS in ms: how long after its first attempt a delivery is retried. */
  windowMs: number;
  /** The longest single delay, so a long window still retries now and then. @default 6 hours */
  maxDelayMs?: number;
  /** EVENT_DESTINATION_DISABLE_AFTER_HOURS in ms: failing without a success this long disables it. */
  disableAfterMs: number;
}

const HOUR_MS = 60 * 60 * 1000;

/** The delay before retry number `failures` (1 = the first retry): doubling, capped, up to 20% later. */
export function retryDelay(failures: number, policy: RetryPolicy, random: number): number {
  const exponential = Math.min(
    policy.baseMs * 2 ** Math.min(failures - 1, 40),
    policy.maxDelayMs ?? 6 * HOUR_MS,
  );
  return Math.round(exponential * (1 + 0.2 * random));
}

/** A duration as people read it: hours, else minutes, else seconds. */
function durationText(ms: number): string {
  if (ms >= HOUR_MS) return `${Math.round(ms / HOUR_MS)} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** What one attempt's outcome makes of the delivery and its destination. */
export function afterAttempt(
  delivery: DeliveryRecord,
  destination: DestinationRecord,
  outcome: AttemptOutcome,
  now: number,
  policy: RetryPolicy,
  random: number,
): AttemptRecord {
  const attempts = delivery.attempts + 1;
  const firstAttemptAt = delivery.firstAttemptAt ?? now;
  if (outcome.ok) {
    return {
      delivery: {
        state: 'delivered',
        attempts,
        nextAttemptAt: null,
        firstAttemptAt,
        lastStatus: outcome.status,
        lastError: null,
        deliveredAt: now,
      },
      destination: { failingSince: null, lastDeliveredAt: now },
    };
  }
  const retryAt = now + retryDelay(attempts, policy, random);
  const dead = retryAt > firstAttemptAt + policy.windowMs;
  const failingSince = destination.failingSince ?? now;
  // Disabled when a delivery dies and nothing has succeeded for the disable threshold.
  const disable = dead && now - failingSince >= policy.disableAfterMs;
  return {
    delivery: {
      state: dead ? 'dead' : 'failing',
      attempts,
      nextAttemptAt: dead ? null : retryAt,
      firstAttemptAt,
      lastStatus: outcome.status,
      lastError: outcome.error,
      deliveredAt: null,
    },
    destination: {
      failingSince,
      lastError: outcome.error,
      lastErrorAt: now,
      ...(disable && destination.disabledAt === null
        ? {
            disabledAt: now,
            disabledReason: `Disabled: every delivery failed for ${durationText(policy.disableAfterMs)} (last error: ${outcome.error}). Resume it once the endpoint answers 2xx.`,
          }
        : {}),
    },
  };
}

/** The oldest open delivery of each order key: what may be attempted now. */
export function headsOf(open: readonly DeliveryRecord[]): DeliveryRecord[] {
  const seen = new Set<string>();
  const heads: DeliveryRecord[] = [];
  for (const delivery of open) {
    if (seen.has(delivery.orderKey)) continue;
    seen.add(delivery.orderKey);
    heads.push(delivery);
  }
  return heads;
}

export interface Timers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface LaneOptions {
  destinationId: string;
  store: DestinationStore;
  sender: Sender;
  policy: RetryPolicy;
  logger: Logger;
  /** Whether this instance may start an attempt for the destination now (its lease). */
  held: () => boolean;
  /** Every attempt's outcome (metrics). @default none */
  onAttempt?: (outcome: AttemptOutcome, state: DeliveryRecord['state']) => void;
  /** Wall clock, epoch ms. @default Date.now */
  now?: () => number;
  /** @default setTimeout (unref'd) */
  timers?: Timers;
  /** @default Math.random */
  random?: () => number;
  /** Attempts in flight at once for one destination (each for another contract). @default 8 */
  concurrency?: number;
  /** Open deliveries read per pass: a head further back waits for the ones before it. @default 1000 */
  window?: number;
}

export interface Lane {
  /** Runs a pass now (new deliveries, a resume, a redelivery, the runner's poll). */
  kick(): void;
  /** Stops scheduling; resolves once the pass in progress has ended. */
  stop(): Promise<void>;
}

/** After a store failure the lane waits this long before it looks again. */
const ERROR_PAUSE_MS = 1000;

/** What one pass needs: the lane's options with their defaults. */
interface LaneSettings {
  readonly options: LaneOptions;
  readonly now: () => number;
  readonly random: () => number;
  readonly concurrency: number;
}

/** One attempt of one delivery: its stored body signed and sent, the outcome recorded. */
async function attempt(
  { options, now, random }: LaneSettings,
  destination: DestinationRecord,
  delivery: DeliveryRecord,
): Promise<void> {
  const { destinationId: id, store, sender, policy, logger } = options;
  const body = await store.body(id, delivery.seq);
  if (body === undefined) return;
  const at = now();
  const outcome = await sender.send({
    url: destination.url,
    id: encodeEventCursor(delivery.seq),
    body,
    secrets: validSecrets(destination.secrets, at),
  });
  const record = afterAttempt(delivery, destination, outcome, now(), policy, random());
  await store.record(id, delivery.seq, record);
  options.onAttempt?.(outcome, record.delivery.state);
  if (record.destination.disabledAt) logger.warn({ destination: id }, 'event destination disabled');
}

/** One pass; resolves with when to look again (undefined: at the next kick). */
async function pass(lane: LaneSettings): Promise<number | undefined> {
  const { destinationId: id, store } = lane.options;
  const destination = await store.get(id);
  if (!destination || destination.paused || destination.disabledAt !== null) return undefined;
  const heads = headsOf(await store.pending(id, lane.options.window ?? 1000));
  const at = lane.now();
  const due = heads.filter((d) => (d.nextAttemptAt ?? 0) <= at).slice(0, lane.concurrency);
  if (due.length === 0) {
    const next = Math.min(...heads.map((d) => d.nextAttemptAt ?? at));
    return Number.isFinite(next) ? next : undefined;
  }
  if (!lane.options.held()) return undefined;
  await Promise.all(due.map((delivery) => attempt(lane, destination, delivery)));
  return at;
}

/** The lane's scheduling: a kick runs passes until none is due, then a timer waits for the next due one. */
export function createLane(options: LaneOptions): Lane {
  const lane: LaneSettings = {
    options,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    concurrency: options.concurrency ?? 8,
  };
  const { now } = lane;
  const timers = options.timers ?? realTimers;
  let timer: unknown;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  function arm(at: number | undefined): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
    if (at === undefined || stopped) return;
    timer = timers.setTimeout(kick, Math.max(0, at - now()));
  }

  async function loop(): Promise<void> {
    for (;;) {
      again = false;
      let next: number | undefined;
      try {
        next = await pass(lane);
      } catch (error) {
        options.logger.warn(
          { destination: options.destinationId, err: error },
          'event destination pass failed; retrying',
        );
        next = now() + ERROR_PAUSE_MS;
      }
      if (stopped) return;
      if (again || (next !== undefined && next <= now())) continue;
      arm(next);
      return;
    }
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = loop().finally(() => (running = undefined));
  }

  return {
    kick,
    async stop() {
      stopped = true;
      arm(undefined);
      await running;
    },
  };
}
