// The pruner: steps back to back while there is work, other work running between them, each step
// growing while steps are quick, and nothing more once it is closed.
import { describe, expect, it } from '@jest/globals';
import { type EventLog, type PruneStep } from '../../src/events/event-log.js';
import { startPruner, type PrunerOptions } from '../../src/events/pruner.js';
import { createLogger } from '../../src/logger.js';

/** A log whose `prune` removes what `removed` says, step by step, and records what it was asked. */
function fakeLog(removed: number[]) {
  const asked: PruneStep[] = [];
  const order: string[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const log = {
    prune(step: PruneStep) {
      asked.push(step);
      order.push('step');
      // Work that arrives during a step, e.g. a webhook: it must run before the next step.
      setImmediate(() => order.push('other'));
      const count = removed.shift() ?? 0;
      if (removed.length === 0) done();
      return Promise.resolve(count);
    },
  } as unknown as EventLog;
  return { log, asked, order, finished };
}

/**
 * A pruner over `fake` whose steps each take `stepMs` on its monotonic clock (read twice a step), with a
 * day's retention, 5,000 events at most and a long idle wait, so it stops once a step finds too little.
 */
function prunerOver(fake: ReturnType<typeof fakeLog>, stepMs: number, extra: Partial<PrunerOptions> = {}) {
  let ms = 0;
  return startPruner({
    log: fake.log,
    retentionMs: 24 * 60 * 60 * 1000,
    maxEvents: 5000,
    logger: createLogger({ level: 'silent' }),
    idleMs: 60_000,
    monotonicNow: () => (ms += stepMs / 2),
    ...extra,
  });
}

describe('the event log pruner', () => {
  it('prunes in steps until one finds less than it asked, yielding between steps', async () => {
    const fake = fakeLog([100, 150, 225, 7]);
    const steps: number[] = [];
    const now = Date.UTC(2026, 0, 10);
    // Every step takes 1 ms: under half the 3 ms target, so each one that found all it asked for grows the next.
    const pruner = prunerOver(fake, 1, { now: () => now, onStep: (removed) => steps.push(removed) });
    await fake.finished;
    await pruner.close();
    // Quick steps that found all they asked for grow the next by half.
    expect(fake.asked.map((step) => step.limit)).toEqual([100, 150, 225, 338]);
    expect(fake.asked[0]).toEqual({ before: new Date(Date.UTC(2026, 0, 9)), maxEvents: 5000, limit: 100 });
    expect(steps).toEqual([100, 150, 225, 7]);
    expect(fake.order.slice(0, 7)).toEqual(['step', 'other', 'step', 'other', 'step', 'other', 'step']);
  });

  it('halves the next step after one that took longer than its target', async () => {
    const fake = fakeLog([100, 50, 25, 3]);
    // Every step takes 10 ms, over the 3 ms target.
    const pruner = prunerOver(fake, 10);
    await fake.finished;
    await pruner.close();
    expect(fake.asked.map((step) => step.limit)).toEqual([100, 50, 25, 12]);
  });
});
