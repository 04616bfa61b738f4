// The emulated clock: manual time stands still until advanced; advancing runs due work in time
// order with now() pinned to each due instant; time never moves backwards.
import { jest } from '@jest/globals';
import { clockCore, createClock, type ClockDriver } from '../../src/emulator/clock.js';

const START = new Date('2024-01-01T00:00:00Z');

/** A driver over a list of due instants that records when each ran and what now() said. */
function driverFor(clock: ReturnType<typeof createClock>, due: number[]) {
  const ran: { due: number; now: number }[] = [];
  const pending = [...due].sort((a, b) => a - b);
  const driver: ClockDriver = {
    nextDueAt: () => pending[0],
    runDue(at) {
      while (pending[0] !== undefined && pending[0] <= at) {
        ran.push({ due: pending.shift()!, now: clock.now().getTime() });
        if (ran.length === 1) pending.push(at + 500); // work scheduled by work
        pending.sort((a, b) => a - b);
      }
    },
  };
  return { driver, ran };
}

describe('manual clock', () => {
  it('stands still until advanced', async () => {
    const clock = createClock({ mode: 'manual', start: START });
    expect(clock.now()).toEqual(START);
    await clock.advance(1_000);
    expect(clock.now().getTime()).toBe(START.getTime() + 1_000);
  });

  it('runs due work in time order with now() at each due time, including work scheduled on the way', async () => {
    const clock = createClock({ mode: 'manual', start: START });
    const t = START.getTime();
    const { driver, ran } = driverFor(clock, [t + 3_000, t + 1_000, t + 9_000]);
    const detach = clockCore(clock).attach(driver);
    await clock.advance(5_000);
    expect(ran).toEqual([
      { due: t + 1_000, now: t + 1_000 },
      { due: t + 1_500, now: t + 1_500 },
      { due: t + 3_000, now: t + 3_000 },
    ]);
    expect(clock.now().getTime()).toBe(t + 5_000);
    detach();
    await clock.advance(10_000);
    expect(ran).toHaveLength(3);
  });

  it('refuses to move backwards or by a negative amount', async () => {
    const clock = createClock({ mode: 'manual', start: START });
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
    await expect(clock.advanceTo(new Date(START.getTime() - 1))).rejects.toThrow(RangeError);
    await clock.advance(1);
    expect(clock.now().getTime()).toBe(START.getTime() + 1);
  });
});

describe('system clock', () => {
  it('follows wall time from its start, shifted by what was advanced', async () => {
    const clock = createClock({ mode: 'system', start: START });
    const first = clock.now().getTime();
    expect(first - START.getTime()).toBeLessThan(1_000);
    await clock.advance(86_400_000);
    expect(clock.now().getTime() - first).toBeGreaterThanOrEqual(86_400_000);
  });

  it('its ticker runs work as it falls due, with no one advancing', async () => {
    const clock = createClock({ mode: 'system', tickMs: 10 });
    const due = clock.now().getTime() + 30;
    let pending = true;
    const ranAt = await new Promise<number>((resolve) => {
      const detach = clockCore(clock).attach({
        nextDueAt: () => (pending ? due : undefined),
        runDue(at) {
          if (!pending || at < due) return;
          pending = false;
          detach();
          resolve(at);
        },
      });
    });
    expect(ranAt).toBeGreaterThanOrEqual(due);
  });

  it('runs work its ticker finds late at each due instant, as a manual clock would', () => {
    jest.useFakeTimers({ now: START, doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      const clock = createClock({ mode: 'system', tickMs: 1_000 });
      const t = START.getTime();
      const { driver, ran } = driverFor(clock, [t + 300, t + 305, t + 1_700]);
      const detach = clockCore(clock).attach(driver);
      jest.advanceTimersByTime(1_000); // one tick, after the first two fell due
      expect(ran).toEqual([
        { due: t + 300, now: t + 300 },
        { due: t + 305, now: t + 305 },
        { due: t + 800, now: t + 800 },
      ]);
      jest.advanceTimersByTime(750); // no tick yet: requests catch up instead
      clockCore(clock).catchUp(t + 1_650);
      expect(ran).toHaveLength(3);
      clockCore(clock).catchUp();
      expect(ran.slice(3)).toEqual([{ due: t + 1_700, now: t + 1_700 }]);
      detach();
    } finally {
      jest.useRealTimers();
    }
  });

  it('is the only kind of clock an emulator accepts', () => {
    expect(() =>
      clockCore({ now: () => new Date(), advance: async () => {}, advanceTo: async () => {} }),
    ).toThrow(/createClock/);
  });
});
