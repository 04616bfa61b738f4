// The emulator tells the same story however its clock is sliced (docs/emulator.md "Slicing independence"):
// the same REST calls at the same emulated times give the same webhooks and the same final state whether
// the manual clock crosses a span in one step or in many, and a replaced change is never announced.
// EMULATOR_PROPERTY_RUNS sets how many generated scenarios run (default 100).
import fc from 'fast-check';
import { HookListener } from './emulator-harness.js';
import { Replay, scenarioArbitrary, type Scenario } from './emulator-slicing.scenario.js';

const RUNS = Number(process.env.EMULATOR_PROPERTY_RUNS ?? 100);

let hooksA: HookListener;
let hooksB: HookListener;

beforeAll(async () => {
  hooksA = await new HookListener().start();
  hooksB = await new HookListener().start();
});

afterAll(async () => {
  await hooksA.close();
  await hooksB.close();
});

/** Runs a scenario on A (one step per span) and B (sliced); both must tell the same story. */
async function check(scenario: Scenario): Promise<void> {
  const a = await Replay.start(hooksA);
  const b = await Replay.start(hooksB);
  try {
    let at = a.clock.now().getTime();
    for (const step of scenario.steps) {
      at += step.waitMs;
      await a.advance(at, undefined);
      await b.advance(at, step.cuts);
      await a.perform(step.action);
      await b.perform(step.action);
    }
    at += scenario.tail.waitMs;
    await a.advance(at, undefined);
    await b.advance(at, scenario.tail.cuts);
    expect(b.log).toEqual(a.log);
    expect(b.finalState()).toEqual(a.finalState());
    // Byte for byte too: key order and absent versus undefined fields count.
    expect(JSON.stringify([b.log, b.finalState()])).toBe(JSON.stringify([a.log, a.finalState()]));
    const announced = a
      .notices()
      .filter((notice) => notice.Event === 'ContractChanged')
      .map((notice) => notice.ContractChangeId);
    expect(announced.filter((id) => id !== undefined && a.silent.has(id))).toEqual([]);
  } finally {
    await a.close();
    await b.close();
  }
}

const atOnce = { waitMs: 0, cuts: [] };

/** Scenarios the property once failed on, shrunk by fast-check, kept by name. */
const regressions: [string, Scenario][] = [
  [
    'a plan change replaced by one for the same instant is not announced',
    {
      steps: [
        {
          ...atOnce,
          action: {
            type: 'changePlan',
            contract: 0,
            variant: 'free',
            when: { inMs: 1 },
            seats: 0,
            interim: false,
          },
        },
        {
          ...atOnce,
          action: {
            type: 'changePlan',
            contract: 0,
            variant: 'free',
            when: { shift: 0 },
            seats: 1,
            interim: false,
          },
        },
      ],
      tail: { waitMs: 1, cuts: [] },
    },
  ],
  [
    'a change dated +5 s, replaced 3 s later by one dated 5 ms earlier, sliced between the two dates',
    {
      steps: [
        {
          ...atOnce,
          action: {
            type: 'changePlan',
            contract: 0,
            variant: 'proMonthly',
            when: { inMs: 5_000 },
            seats: 0,
            interim: false,
          },
        },
        {
          waitMs: 3_000,
          cuts: [],
          action: {
            type: 'changePlan',
            contract: 0,
            variant: 'basicYearly',
            when: { shift: -5 },
            seats: 0,
            interim: false,
          },
        },
      ],
      tail: { waitMs: 10_000, cuts: [{ fraction: 0.1997 }, { due: 0, delta: 1 }, { due: 1, delta: 0 }] },
    },
  ],
];

it.each(regressions)('%s', async (_name, scenario) => {
  await check(scenario);
});

it(`${RUNS} generated scenarios: same webhooks and state in one step or sliced, replaced changes silent`, async () => {
  await fc.assert(fc.asyncProperty(scenarioArbitrary, check), { numRuns: RUNS });
}, 600_000);
