// Demo data: one EUR plan group with free, Basic and Pro plans, add-ons, a discount, a coupon, and
// five customers whose six contracts show the lifecycle states. Ids are fixed so docs and tests can name them.
import type { Component, Coupon, Discount, Plan, PlanGroup, PlanVariant } from '../billwerk/dto.js';
import { type IdSource } from './ids.js';
import { type State } from './store.js';
import { addPeriod, iso } from './time.js';
import { type Ctx } from './domain/context.js';
import { endContract, cancellationTerms } from './domain/cancellation.js';
import { commitOrder } from './domain/commit.js';
import { recordUsage } from './domain/components.js';
import { createOrder } from './domain/orders.js';
import { runDue } from './domain/schedule.js';

export const SEED_IDS = {
  /** The account's EntityId, sent on every webhook. */
  entity: '65f000000000000000000001',
  taxPolicy: '65f000000000000000000101',
  planGroup: '65f000000000000000000201',
  plans: {
    free: '65f000000000000000000301',
    basic: '65f000000000000000000302',
    pro: '65f000000000000000000303',
  },
  planVariants: {
    free: '65f000000000000000000401',
    basicMonthly: '65f000000000000000000402',
    basicYearly: '65f000000000000000000403',
    proMonthly: '65f000000000000000000404',
    proYearly: '65f000000000000000000405',
  },
  components: {
    seats: '65f000000000000000000501',
    apiCalls: '65f000000000000000000502',
    prioritySupport: '65f000000000000000000503',
  },
  discounts: { launch20: '65f000000000000000000601', welcome10: '65f000000000000000000602' },
  coupons: { welcome10: '65f000000000000000000701' },
  customers: {
    ada: '65f000000000000000000801',
    grace: '65f000000000000000000802',
    alan: '65f000000000000000000803',
    katherine: '65f000000000000000000804',
    edsger: '65f000000000000000000805',
  },
  contracts: {
    /** Basic monthly, active, two seats, billed twice. */
    adaBasicMonthly: '65f000000000000000000901',
    /** Pro yearly, active, paying by card, unbilled API usage. */
    graceProYearly: '65f000000000000000000902',
    /** Pro monthly, in its 14-day trial. */
    alanProTrial: '65f000000000000000000903',
    /** Basic yearly, cancelled, ends at the end of its first year. */
    katherineBasicYearlyCancelled: '65f000000000000000000904',
    /** Free plan, active, never invoiced. */
    katherineFree: '65f000000000000000000905',
    /** Basic monthly, ended about a month ago. */
    edsgerBasicEnded: '65f000000000000000000906',
  },
} as const;

const ids = SEED_IDS;
const month = { Unit: 'Month', Quantity: 1 } as const;
const year = { Unit: 'Year', Quantity: 1 } as const;
const none = { Unit: 'Month', Quantity: 0 } as const;

const planGroup: PlanGroup = {
  Id: ids.planGroup,
  Name: { _c: 'Demo SaaS' },
  Currency: 'EUR',
  PriceTaxType: 'Net',
  TaxPolicyId: ids.taxPolicy,
  TimeGranularity: 'Exact',
};

const plan = (id: string, name: string, extra: Partial<Plan> = {}): Plan => ({
  Id: id,
  PlanGroupId: ids.planGroup,
  Name: { _c: name },
  PlanDescription: { _c: `The ${name} plan` },
  TrialPeriod: null,
  TrialEndPolicy: 'NoTrial',
  IsQuantityBased: false,
  RequiresOrderApproval: false,
  Hidden: false,
  ...extra,
});

const variant = (
  id: string,
  planId: string,
  name: string,
  fee: number,
  yearly: boolean,
  extra: Partial<PlanVariant> = {},
) =>
  ({
    Id: id,
    PlanId: planId,
    PlanGroupId: ids.planGroup,
    InternalName: name,
    ExternalId: name.toLowerCase().replace(/\s+/g, '-'),
    Hidden: false,
    AllowWithoutPaymentData: false,
    RecurringFee: fee,
    SetupFee: 0,
    // Monthly: one month minimum term, 14 days notice. Yearly: one year term, one month notice.
    ContractPeriod: yearly ? year : month,
    CancellationPeriod: yearly ? month : { Unit: 'Day', Quantity: 14 },
    LaterContractPeriod: null,
    LaterCancellationPeriod: null,
    BillingPeriod: yearly ? year : month,
    FeePeriod: yearly ? year : month,
    PaymentPeriodMode: 'PrePaid',
    Quota: [],
    ...extra,
  }) satisfies PlanVariant;

const component = (id: string, name: string, type: Component['ComponentType'], price: number): Component => ({
  Id: id,
  PlanGroupId: ids.planGroup,
  ComponentType: type,
  Name: { _c: name },
  ExternalId: name.toLowerCase().replace(/\s+/g, '-'),
  PricePerUnit: price,
  PriceScale: null,
  FeePeriod: type === 'Metered' ? null : month,
  Prorate: true,
  TaxPolicyId: ids.taxPolicy,
  BillInTrial: false,
  IncludeInInterimBilling: true,
});

const discount = (id: string, name: string, percent: number, months: number): Discount => ({
  Id: id,
  PlanGroupId: ids.planGroup,
  InternalName: name,
  Duration: { Unit: 'Month', Quantity: months },
  Effect: { Type: 'ReductionPercent', ReductionPercent: percent },
  IncludeSetup: false,
});

const coupon: Coupon = {
  Id: ids.coupons.welcome10,
  PlanGroupId: ids.planGroup,
  DiscountId: ids.discounts.welcome10,
  InternalName: 'Welcome 10%',
  Code: 'WELCOME10',
  Active: true,
  Enabled: true,
  IsSingleUse: false,
  ValidFrom: null,
  ValidUntil: null,
};

function seedCatalogue(state: State): void {
  state.taxPolicies.set(ids.taxPolicy, { Id: ids.taxPolicy, Name: 'VAT 19%', Rate: 19 });
  state.planGroups.set(planGroup.Id, planGroup);
  for (const item of [
    plan(ids.plans.free, 'Free'),
    plan(ids.plans.basic, 'Basic'),
    plan(ids.plans.pro, 'Pro', {
      TrialPeriod: { Unit: 'Day', Quantity: 14 },
      TrialEndPolicy: 'RequestPayment',
    }),
  ]) {
    state.plans.set(item.Id, item);
  }
  const proQuota = { Quota: [{ ComponentId: ids.components.apiCalls, Quota: 1000 }] };
  for (const item of [
    variant(ids.planVariants.free, ids.plans.free, 'Free', 0, false, {
      AllowWithoutPaymentData: true,
      ContractPeriod: none,
      CancellationPeriod: none,
    }),
    variant(ids.planVariants.basicMonthly, ids.plans.basic, 'Basic monthly', 9, false),
    variant(ids.planVariants.basicYearly, ids.plans.basic, 'Basic yearly', 90, true),
    variant(ids.planVariants.proMonthly, ids.plans.pro, 'Pro monthly', 29, false, proQuota),
    variant(ids.planVariants.proYearly, ids.plans.pro, 'Pro yearly', 290, true, proQuota),
  ]) {
    state.planVariants.set(item.Id, item);
  }
  for (const item of [
    component(ids.components.seats, 'Seats', 'QuantityBased', 5),
    component(ids.components.apiCalls, 'API calls', 'Metered', 0.01),
    component(ids.components.prioritySupport, 'Priority support', 'OnOff', 15),
  ]) {
    state.components.set(item.Id, item);
  }
  for (const item of [
    discount(ids.discounts.launch20, 'Launch 20%', 20, 3),
    discount(ids.discounts.welcome10, 'Welcome 10%', 10, 12),
  ]) {
    state.discounts.set(item.Id, item);
  }
  state.coupons.set(coupon.Id, coupon);
}

interface Step {
  /** Days before the seed instant (midnight UTC of that day). */
  daysAgo: number;
  run(ctx: Ctx): void;
}

function signup(
  ctx: Ctx,
  contractId: string,
  customer: { id: string; fields?: Record<string, string> },
  variantId: string,
  extra: { components?: { ComponentId: string; Quantity: number }[]; paymentMethod?: string } = {},
): void {
  const order = createOrder(ctx, {
    ...(customer.fields ? { Customer: customer.fields } : { CustomerId: customer.id }),
    Cart: {
      PlanVariantId: variantId,
      ...(extra.components ? { ComponentSubscriptions: extra.components } : {}),
    },
  });
  const stored = ctx.state.orders.get(order.Id);
  if (!stored) throw new Error('seed order vanished');
  stored.order.CustomerId = customer.id;
  stored.order.ContractId = contractId;
  commitOrder(ctx, stored, extra.paymentMethod ? { paymentMethod: extra.paymentMethod } : {});
}

const person = (first: string, last: string, externalId: string, extra: Record<string, string> = {}) => ({
  FirstName: first,
  LastName: last,
  EmailAddress: `${first.toLowerCase()}@example.com`,
  ExternalCustomerId: externalId,
  ...extra,
});

const c = ids.contracts;
const cu = ids.customers;

const steps: Step[] = [
  {
    daysAgo: 200,
    run: (ctx) => {
      const fields = person('Katherine', 'Johnson', 'cust-1004');
      signup(
        ctx,
        c.katherineBasicYearlyCancelled,
        { id: cu.katherine, fields },
        ids.planVariants.basicYearly,
        {
          paymentMethod: 'InvoicePayment',
        },
      );
    },
  },
  {
    daysAgo: 120,
    run: (ctx) =>
      signup(
        ctx,
        c.edsgerBasicEnded,
        { id: cu.edsger, fields: person('Edsger', 'Dijkstra', 'cust-1005') },
        ids.planVariants.basicMonthly,
        {
          paymentMethod: 'InvoicePayment',
        },
      ),
  },
  {
    daysAgo: 100,
    run: (ctx) => {
      const fields = person('Grace', 'Hopper', 'cust-1002', { CompanyName: 'Hopper Labs GmbH' });
      signup(ctx, c.graceProYearly, { id: cu.grace, fields }, ids.planVariants.proYearly, {
        paymentMethod: 'Stripe:CreditCard',
      });
      const contract = ctx.state.contracts.get(c.graceProYearly);
      if (contract) contract.PaymentBearer = { Type: 'CreditCard', Holder: 'Grace Hopper', Last4: '4242' };
    },
  },
  { daysAgo: 50, run: (ctx) => endAtNextPossibleDate(ctx, c.edsgerBasicEnded) },
  {
    daysAgo: 45,
    run: (ctx) =>
      signup(
        ctx,
        c.adaBasicMonthly,
        { id: cu.ada, fields: person('Ada', 'Lovelace', 'cust-1001') },
        ids.planVariants.basicMonthly,
        {
          components: [{ ComponentId: ids.components.seats, Quantity: 2 }],
          paymentMethod: 'InvoicePayment',
        },
      ),
  },
  { daysAgo: 30, run: (ctx) => signup(ctx, c.katherineFree, { id: cu.katherine }, ids.planVariants.free) },
  {
    daysAgo: 20,
    run: (ctx) => {
      const contract = ctx.state.contracts.get(c.graceProYearly);
      if (!contract) return;
      const usage = {
        ComponentId: ids.components.apiCalls,
        Quantity: 1500,
        DueDate: iso(ctx.now),
        Key: 'seed-usage-1',
      };
      recordUsage(ctx, contract, { ...usage, Memo: 'API calls' });
    },
  },
  { daysAgo: 10, run: (ctx) => endAtNextPossibleDate(ctx, c.katherineBasicYearlyCancelled) },
  {
    daysAgo: 3,
    run: (ctx) =>
      signup(
        ctx,
        c.alanProTrial,
        { id: cu.alan, fields: person('Alan', 'Turing', 'cust-1003') },
        ids.planVariants.proMonthly,
        {
          paymentMethod: 'InvoicePayment',
        },
      ),
  },
];

function endAtNextPossibleDate(ctx: Ctx, contractId: string): void {
  const contract = ctx.state.contracts.get(contractId);
  if (!contract) return;
  endContract(ctx, contract, cancellationTerms(ctx, contract, ctx.now).endDate);
}

/**
 * Loads the catalogue and replays the accounts' history up to `now`, running the lifecycle between
 * steps (recurring billing, ends). Notices are discarded: seeding sends no webhooks.
 */
export function seed(state: State, idSource: IdSource, now: number): void {
  seedCatalogue(state);
  const midnight = now - (now % 86_400_000);
  const ctx = (when: number): Ctx => ({ state, now: when, ids: idSource, outbox: [] });
  let last = Number.NEGATIVE_INFINITY;
  for (const step of steps) {
    const when = Math.min(now, addPeriod(midnight, { Unit: 'Day', Quantity: step.daysAgo }, -1));
    if (last > Number.NEGATIVE_INFINITY) runDue(ctx(last), when);
    step.run(ctx(when));
    last = when;
  }
  runDue(ctx(last), now);
}
