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

export interface ClockCore {
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

/** A clock's moving parts: what its reading, advancing, ticker and core share. */
interface ClockState {
  readonly options: ClockOptions;
  readonly drivers: Set<ClockDriver>;
  /** Manual mode: the current time, epoch ms. */
  manualNow: number;
  /** System mode: how far the clock runs ahead of wall time, ms. */
  offset: number;
  /** While due work runs: its due instant, which now() answers. */
  pinned: number | undefined;
  /** Due work up to here has run; later work never runs before it, so time never runs backwards. */
  ranUntil: number;
  /** The advance in progress: advances run one after the other. */
  chain: Promise<void>;
  /** System mode, while a driver is attached: fires due work. */
  ticker: NodeJS.Timeout | undefined;
}

/** The clock's time, epoch ms: a running job's due instant, else manual time or wall time plus offset. */
function current(state: ClockState): number {
  return state.pinned ?? (state.options.mode === 'manual' ? state.manualNow : Date.now() + state.offset);
}

/** The earliest due instant over every attached driver. */
function nextDue(state: ClockState): number | undefined {
  let next: number | undefined;
  for (const driver of state.drivers) {
    const due = driver.nextDueAt();
    if (due !== undefined && (next === undefined || due < next)) next = due;
  }
  return next;
}

/**
 * Runs due work up to `target`, one due instant at a time, with now() pinned to that instant. Work
 * runs at its due instant even when found late (a system ticker firing after it fell due, a request
 * arriving first): running it at the catching-up time would merge and date changes by when the
 * clock was looked at, not by when billwerk would have made them.
 */
function runUntil(state: ClockState, target: number): void {
  try {
    for (let due = nextDue(state); due !== undefined && due <= target; due = nextDue(state)) {
      const at = Math.max(due, state.pinned ?? state.ranUntil);
      state.pinned = at;
      for (const driver of state.drivers) driver.runDue(at);
      const after = nextDue(state);
      // A driver that leaves work due at or before `at` would loop forever: fail loudly instead.
      if (after !== undefined && after <= at) throw new Error(`clock driver made no progress at ${at}`);
    }
    state.ranUntil = Math.max(state.ranUntil, target);
  } finally {
    state.pinned = undefined;
  }
}

/** Moves to `target` once the advances before it are done, running due work on the way. */
function advanceTo(state: ClockState, target: number): Promise<void> {
  const step = state.chain.then(() => {
    const now = current(state);
    if (!Number.isFinite(target) || target < now) {
      throw new RangeError(`the emulated clock only moves forward (now ${new Date(now).toISOString()})`);
    }
    runUntil(state, target);
    if (state.options.mode === 'manual') state.manualNow = Math.max(state.manualNow, target);
    else state.offset = Math.max(state.offset, target - Date.now());
  });
  state.chain = step.catch(() => undefined);
  return step;
}

/** Runs the system clock's ticker while a driver is attached, and stops it when the last one leaves. */
function updateTicker(state: ClockState): void {
  const { options, drivers } = state;
  if (options.mode === 'system' && drivers.size > 0 && !state.ticker) {
    state.ticker = setInterval(() => {
      try {
        runUntil(state, current(state));
      } catch (error) {
        // A timer has no caller to reject; say so instead of crashing the process.
        process.emitWarning(
          `emulator clock tick failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }, options.tickMs ?? 1000);
    state.ticker.unref();
  } else if (drivers.size === 0 && state.ticker) {
    clearInterval(state.ticker);
    state.ticker = undefined;
  }
}

export function createClock(options: ClockOptions): EmulatorClock {
  const startMs = (options.start ?? new Date()).getTime();
  const state: ClockState = {
    options,
    drivers: new Set(),
    manualNow: startMs,
    offset: startMs - Date.now(),
    pinned: undefined,
    ranUntil: startMs,
    chain: Promise.resolve(),
    ticker: undefined,
  };

  const clock: EmulatorClock = {
    now: () => new Date(current(state)),
    advance: (ms) =>
      Number.isFinite(ms) && ms >= 0
        ? advanceTo(state, current(state) + ms)
        : Promise.reject(new RangeError(`advance(ms) needs a finite ms ≥ 0, got ${ms}`)),
    advanceTo: (date) => advanceTo(state, date.getTime()),
  };

  cores.set(clock, {
    mode: options.mode,
    attach(driver) {
      state.drivers.add(driver);
      updateTicker(state);
      return () => {
        state.drivers.delete(driver);
        updateTicker(state);
      };
    },
    catchUp: (until) => runUntil(state, Math.min(until ?? Number.POSITIVE_INFINITY, current(state))),
  });
  return clock;
}
