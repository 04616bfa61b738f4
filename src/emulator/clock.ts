// The emulated clock: manual (stands still until advanced) or system (real time plus an offset).
// Advancing runs every lifecycle job that falls due, in time order, with now() pinned to each due time,
// on either clock: how time was sliced (one step, many, or a ticker that ran late) never shows.

export interface EmulatorClock {
  now(): Date;
  /** Moves time forward by `ms` (≥ 0), running due work on the way; resolves after it ran. */
  advance(ms: number): Promise<void>;
  /** Moves time forward to `date` (not earlier than now()), running due work on the way. */
  advanceTo(date: Date): Promise<void>;
}

export interface ClockOptions {
  /** 'manual': time stands still until advanced; 'system': wall time plus the advanced offset. */
  mode: 'manual' | 'system';
  /** Where the clock starts. @default the current wall time */
  start?: Date;
  /** System mode: how often the ticker fires due work, ms. @default 1000 */
  tickMs?: number;
}

/** Work that falls due on the clock (one per emulator). Runs synchronously, so ticks never interleave. */
export interface ClockDriver {
  /** Epoch ms of the earliest due job, if any. */
  nextDueAt(): number | undefined;
  /** Runs every job due at or before `at`. */
  runDue(at: number): void;
}

interface ClockCore {
  mode: ClockOptions['mode'];
  attach(driver: ClockDriver): () => void;
  /**
   * Runs due work up to `until` (default: the current time), each job at its own due instant. Callers
   * about to read state, or to act at `until`, call it first. `until` is never after the current time.
   */
  catchUp(until?: number): void;
}

const cores = new WeakMap<EmulatorClock, ClockCore>();

/** The scheduling side of a clock made by createClock (kept off the public interface). */
export function clockCore(clock: EmulatorClock): ClockCore {
  const core = cores.get(clock);
  if (!core) throw new TypeError('EmulatorOptions.clock must be a clock made by createClock() from clock.ts');
  return core;
}

export function createClock(options: ClockOptions): EmulatorClock {
  const drivers = new Set<ClockDriver>();
  const startMs = (options.start ?? new Date()).getTime();
  let manualNow = startMs;
  let offset = startMs - Date.now();
  let pinned: number | undefined;
  /** Due work up to here has run; later work never runs before it, so time never runs backwards. */
  let ranUntil = startMs;
  let chain: Promise<void> = Promise.resolve();
  let ticker: NodeJS.Timeout | undefined;

  const current = (): number => pinned ?? (options.mode === 'manual' ? manualNow : Date.now() + offset);

  const nextDue = (): number | undefined => {
    let next: number | undefined;
    for (const driver of drivers) {
      const due = driver.nextDueAt();
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    return next;
  };

  /**
   * Runs due work up to `target`, one due instant at a time, with now() pinned to that instant. Work
   * runs at its due instant even when found late (a system ticker firing after it fell due, a request
   * arriving first): running it at the catching-up time would merge and date changes by when the
   * clock was looked at, not by when billwerk would have made them.
   */
  const runUntil = (target: number): void => {
    try {
      for (let due = nextDue(); due !== undefined && due <= target; due = nextDue()) {
        const at = Math.max(due, pinned ?? ranUntil);
        pinned = at;
        for (const driver of drivers) driver.runDue(at);
        const after = nextDue();
        // A driver that leaves work due at or before `at` would loop forever: fail loudly instead.
        if (after !== undefined && after <= at) throw new Error(`clock driver made no progress at ${at}`);
      }
      ranUntil = Math.max(ranUntil, target);
    } finally {
      pinned = undefined;
    }
  };

  const advanceTo = (target: number): Promise<void> => {
    const step = chain.then(() => {
      const now = current();
      if (!Number.isFinite(target) || target < now) {
        throw new RangeError(`the emulated clock only moves forward (now ${new Date(now).toISOString()})`);
      }
      runUntil(target);
      if (options.mode === 'manual') manualNow = Math.max(manualNow, target);
      else offset = Math.max(offset, target - Date.now());
    });
    chain = step.catch(() => undefined);
    return step;
  };

  const clock: EmulatorClock = {
    now: () => new Date(current()),
    advance: (ms) =>
      Number.isFinite(ms) && ms >= 0
        ? advanceTo(current() + ms)
        : Promise.reject(new RangeError(`advance(ms) needs a finite ms ≥ 0, got ${ms}`)),
    advanceTo: (date) => advanceTo(date.getTime()),
  };

  const updateTicker = (): void => {
    if (options.mode === 'system' && drivers.size > 0 && !ticker) {
      ticker = setInterval(() => {
        try {
          runUntil(current());
        } catch (error) {
          // A timer has no caller to reject; say so instead of crashing the process.
          process.emitWarning(
            `emulator clock tick failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }, options.tickMs ?? 1000);
      ticker.unref();
    } else if (drivers.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };

  cores.set(clock, {
    mode: options.mode,
    attach(driver) {
      drivers.add(driver);
      updateTicker();
      return () => {
        drivers.delete(driver);
        updateTicker();
      };
    },
    catchUp: (until) => runUntil(Math.min(until ?? Number.POSITIVE_INFINITY, current())),
  });
  return clock;
}
