// Lifecycle rules on the emulator's state without HTTP: cancellation terms from the variant's term
// and notice, prorated billing, coupon normalisation.
import type { Contract } from '../../src/billwerk/dto.js';
import { type Ctx } from '../../src/emulator/domain/context.js';
import { cancellationTerms } from '../../src/emulator/domain/cancellation.js';
import { commitOrder } from '../../src/emulator/domain/commit.js';
import { normaliseCouponCode } from '../../src/emulator/domain/order-rules.js';
import { createOrder } from '../../src/emulator/domain/orders.js';
import { runDue } from '../../src/emulator/domain/schedule.js';
import { createIdSource } from '../../src/emulator/ids.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { seed } from '../../src/emulator/seed.js';
import { createState } from '../../src/emulator/store.js';
import { iso } from '../../src/emulator/time.js';

const DAY = 86_400_000;
const START = Date.parse('2024-01-10T00:00:00Z');

function world(): { ctx: (now: number) => Ctx } {
  const state = createState(SEED_IDS.entity);
  const ids = createIdSource();
  seed(state, ids, START);
  return { ctx: (now) => ({ state, now, ids, outbox: [] }) };
}

function signup(ctx: Ctx, variantId: string, extra: Record<string, unknown> = {}): Contract {
  const order = createOrder(ctx, {
    CustomerId: SEED_IDS.customers.grace,
    Cart: { PlanVariantId: variantId },
    ...extra,
  });
  return commitOrder(ctx, ctx.state.orders.get(order.Id)!, {});
}

describe('cancellation terms', () => {
  it('monthly with 14 days notice: before the deadline the term end, after it the next one', () => {
    const { ctx } = world();
    const contract = signup(ctx(START), SEED_IDS.planVariants.basicMonthly);
    const early = cancellationTerms(ctx(START), contract, START + 10 * DAY);
    expect(iso(early.endDate)).toBe('2024-02-10T00:00:00.0000000Z');
    expect(iso(early.nextPossible)).toBe('2024-01-27T00:00:00.0000000Z');
    const late = cancellationTerms(ctx(START), contract, START + 20 * DAY);
    expect(iso(late.endDate)).toBe('2024-03-10T00:00:00.0000000Z');
    expect(iso(late.nextPossible)).toBe('2024-02-25T00:00:00.0000000Z');
  });

  it('a plan without a term ends after the notice, a trial at its end', () => {
    const { ctx } = world();
    const free = signup(ctx(START), SEED_IDS.planVariants.free);
    expect(cancellationTerms(ctx(START), free, START + DAY).endDate).toBe(START + DAY);
    const trial = signup(ctx(START), SEED_IDS.planVariants.proMonthly);
    expect(cancellationTerms(ctx(START), trial, START + DAY).endDate).toBe(START + 14 * DAY);
  });
});

describe('billing', () => {
  it('prepays the first period at signup and bills the next one when the clock reaches it', () => {
    const { ctx } = world();
    const context = ctx(START);
    const contract = signup(context, SEED_IDS.planVariants.basicYearly);
    const invoices = () =>
      [...context.state.invoices.values()].filter((invoice) => invoice.ContractId === contract.Id);
    expect(invoices().map((invoice) => invoice.TotalNet)).toEqual([90]);
    expect(contract.NextBillingDate).toBe('2025-01-10T00:00:00.0000000Z');
    runDue(ctx(START), Date.parse('2025-01-10T00:00:00Z'));
    expect(invoices().map((invoice) => [invoice.TotalNet, invoice.Created])).toEqual([
      [90, iso(START)],
      [90, '2025-01-10T00:00:00.0000000Z'],
    ]);
  });

  it('a yearly contract with a monthly-priced component pays twelve months of it', () => {
    const { ctx } = world();
    const context = ctx(START);
    const contract = signup(context, SEED_IDS.planVariants.basicYearly, {
      Cart: {
        PlanVariantId: SEED_IDS.planVariants.basicYearly,
        ComponentSubscriptions: [{ ComponentId: SEED_IDS.components.seats, Quantity: 2 }],
      },
    });
    const [invoice] = [...context.state.invoices.values()].filter((item) => item.ContractId === contract.Id);
    expect(invoice?.ItemList?.map((item) => [item.Description, item.PricePerUnit, item.TotalNet])).toEqual([
      ['Basic yearly', 90, 90],
      ['Seats', 60, 120],
    ]);
    expect(invoice).toMatchObject({ TotalNet: 210, TotalVat: 39.9, TotalGross: 249.9 });
  });
});

it('coupon codes compare as upper-case alphanumerics', () => {
  expect(normaliseCouponCode('ABc12-3')).toBe('ABC123');
  expect(normaliseCouponCode(' welcome_10 ')).toBe('WELCOME10');
});
