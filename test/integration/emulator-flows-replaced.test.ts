// Changes replaced before they take effect (flows.md §4–6: ContractChanged is sent when a change takes
// effect, and a replaced one never does), on the manual clock and on the system clock with its ticker.
import type { Contract, ContractChange } from '../../src/billwerk/dto.js';
import { createClock, type EmulatorClock } from '../../src/emulator/clock.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { DAY, START, billwerkDate, startHarness, type Harness } from './emulator-harness.js';

const { planVariants: pv, components } = SEED_IDS;

describe.each([
  ['manual', () => createClock({ mode: 'manual', start: START })],
  ['system', () => createClock({ mode: 'system', start: START, tickMs: 5 })],
])('on the %s clock', (_mode, makeClock) => {
  let h: Harness;
  let clock: EmulatorClock;
  const now = (): number => clock.now().getTime();
  const changesOf = (contract: Contract): Promise<ContractChange[]> =>
    h.rest.ok<ContractChange[]>('GET', `/contractChanges?contractId=${contract.Id}`);
  /** The ContractChangeIds of the ContractChanged notices delivered so far for `contract`. */
  const announced = async (contract: Contract): Promise<(string | undefined)[]> => {
    await h.emulator.webhooks.idle();
    return h.hooks.received
      .map((item) => item.notice)
      .filter((notice) => notice.Event === 'ContractChanged' && notice.ContractId === contract.Id)
      .map((notice) => notice.ContractChangeId);
  };

  beforeAll(async () => {
    clock = makeClock();
    h = await startHarness({ clock });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(async () => {
    await h.drain();
  });

  it('a plan change replaced by one dated 5 ms earlier is never announced', async () => {
    const contract = await h.signup(pv.basicMonthly);
    const first = now() + 5_000;
    await h.order({
      ContractId: contract.Id,
      Cart: { PlanVariantId: pv.proMonthly },
      ChangeDate: billwerkDate(first),
    });
    await clock.advance(3_000);
    await h.order({
      ContractId: contract.Id,
      Cart: { PlanVariantId: pv.basicYearly },
      ChangeDate: billwerkDate(first - 5),
    });
    expect(await h.drain(contract.CustomerId)).toEqual(['OrderSucceeded', 'OrderSucceeded']);

    await clock.advance(10_000);
    const [replacing, replaced] = await changesOf(contract);
    expect(await announced(contract)).toEqual([replacing?.Id]);
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractChanged:Upgrade', 'InvoiceCreated']);
    // The replaced change stays on record, as its order was committed.
    expect(replaced).toMatchObject({ Type: 'Upgrade', NewPlanVariantId: pv.proMonthly });
    expect(await h.contractOf(contract.Id)).toMatchObject({ PlanVariantId: pv.basicYearly });
  });

  it('an order that also added components loses only its plan change, and is announced for those', async () => {
    const contract = await h.signup(pv.basicMonthly);
    const start = now();
    await h.order({
      ContractId: contract.Id,
      Cart: {
        PlanVariantId: pv.proMonthly,
        ComponentSubscriptions: [{ ComponentId: components.seats, Quantity: 2 }],
      },
      ChangeDate: billwerkDate(start + 5 * DAY),
    });
    await h.order({
      ContractId: contract.Id,
      Cart: { PlanVariantId: pv.basicYearly },
      ChangeDate: billwerkDate(start + 3 * DAY),
    });
    await h.drain();

    await clock.advanceTo(new Date(start + 3 * DAY));
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractChanged:Upgrade', 'InvoiceCreated']);
    await clock.advanceTo(new Date(start + 5 * DAY));
    const [, withSeats] = await changesOf(contract);
    expect(withSeats?.NewPlanVariantId).toBe(pv.proMonthly);
    expect(await announced(contract)).toEqual([withSeats?.Id]);
    // The seats are billed at the next run; the plan stays the one of the later order.
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractChanged:Upgrade']);
    expect(await h.contractOf(contract.Id)).toMatchObject({ PlanVariantId: pv.basicYearly });
  });

  it('an end replaced by an earlier or a later one is never announced', async () => {
    const earlier = await h.signup(pv.basicMonthly);
    const later = await h.signup(pv.basicMonthly);
    const start = now();
    const end = (contract: Contract, at: number) =>
      h.rest.ok('POST', `/contracts/${contract.Id}/end`, { EndDate: billwerkDate(at) });
    /** Delivered events of each contract's customer: [earlier, later]. */
    const drain = async (): Promise<string[][]> => {
      await h.emulator.webhooks.idle();
      const events = [earlier, later].map((contract) =>
        h.hooks.events((notice) => notice.CustomerId === contract.CustomerId),
      );
      h.hooks.clear();
      return events;
    };
    await end(earlier, start + 10 * DAY);
    await end(earlier, start + 5 * DAY);
    await end(later, start + 5 * DAY);
    await end(later, start + 10 * DAY);
    const cancelled = ['ContractCancelled', 'ContractCancelled'];
    expect(await drain()).toEqual([cancelled, cancelled]);

    await clock.advanceTo(new Date(start + 6 * DAY));
    expect(await drain()).toEqual([['ContractChanged:EndContract', 'InvoiceCreated'], []]);
    await clock.advanceTo(new Date(start + 11 * DAY));
    expect(await drain()).toEqual([[], ['ContractChanged:EndContract', 'InvoiceCreated']]);
    expect(await h.contractOf(later.Id)).toMatchObject({
      LifecycleStatus: 'Ended',
      EndDate: billwerkDate(start + 10 * DAY),
    });
  });
});
