// Committing an order: a signup creates customer and contract, a change order reshapes a contract.
// Hooks per flows.md: signup CustomerCreated → ContractCreated → ContractChanged → OrderSucceeded → InvoiceCreated.
import { createHash } from 'node:crypto';
import type {
  Contract,
  ContractPhase,
  Customer,
  Id,
  Order,
  OrderCoupon,
  OrderInput,
  PlanVariant,
} from '../../billwerk/dto.js';
import { unprocessable } from '../errors.js';
import { type StoredOrder } from '../store.js';
import { addPeriod, hasLength, iso, ms, optionalIso } from '../time.js';
import { notify, notifyContractChanged, notifyContractCreated, type Ctx } from './context.js';
import { billPeriod } from './billing.js';
import { scheduleEnd } from './cancellation.js';
import { addSubscription, endSubscriptions, recordUsage } from './components.js';
import { assertNotEnded, planOf, recordChange, refresh, scheduleEffect, sortPhases } from './contracts.js';
import { createCustomer } from './customers.js';
import { assertCouponValid, couponFor, resolveTarget } from './order-rules.js';
import { runDue } from './schedule.js';

export interface CommitOptions {
  /** "Provider:Role" or a single name, e.g. "InvoicePayment" (field name [inferred], resources.md "Commit"). */
  paymentMethod?: string;
  /** A preview: skip the payment-data check, which a real commit would make. */
  dryRun?: boolean;
}

/** POST /orders/{id}/commit → the Contract (resources.md "Orders"). Rules are checked again here. */
export function commitOrder(ctx: Ctx, stored: StoredOrder, options: CommitOptions = {}): Contract {
  const { order, input } = stored;
  if (order.Status !== 'InProgress')
    throw unprocessable(`Order '${order.Id}' is ${order.Status}, not InProgress`);
  const target = resolveTarget(ctx.state, input, ctx.now);
  const coupon = couponFor(ctx.state, input, target, ctx.now);
  assertCouponValid(coupon);
  const job: Job = { order, input, coupon };
  const known = new Set(ctx.state.discountSubscriptions.keys());
  const contract =
    target.kind === 'signup'
      ? commitSignup(ctx, job, target.variant, target.customer, options)
      : commitChange(ctx, job, target.contract, target.changeDate, target.variant);
  order.Status = 'Completed';
  order.DiscountSubscriptions = [...ctx.state.discountSubscriptions.values()].filter(
    (item) => !known.has(item.Id),
  );
  return contract;
}

interface Payment {
  PaymentProvider: string | null;
  PaymentProviderRole: string | null;
  PaymentBearer: Contract['PaymentBearer'];
}

/**
 * `{}` reuses the payment data on file; otherwise a payment method is named, or the variant allows a
 * signup without payment data (resources.md "Commit"). "On file" = the customer's latest contract
 * with a payment provider [inferred].
 */
function paymentFor(
  ctx: Ctx,
  variant: PlanVariant,
  customer: Customer | undefined,
  options: CommitOptions,
): Payment {
  if (options.paymentMethod) {
    const [provider = '', role] = options.paymentMethod.split(':');
    return { PaymentProvider: provider, PaymentProviderRole: role ?? provider, PaymentBearer: null };
  }
  const onFile = [...ctx.state.contracts.values()]
    .filter((contract) => customer && contract.CustomerId === customer.Id && contract.PaymentProvider)
    .sort((a, b) => (a.Id < b.Id ? 1 : -1))[0];
  if (onFile) {
    return {
      PaymentProvider: onFile.PaymentProvider ?? null,
      PaymentProviderRole: onFile.PaymentProviderRole ?? null,
      PaymentBearer: onFile.PaymentBearer ?? null,
    };
  }
  if (!variant.AllowWithoutPaymentData && !options.dryRun) {
    throw unprocessable(
      'This plan variant needs payment data: commit with a PaymentMethod (e.g. "InvoicePayment") or use a variant with AllowWithoutPaymentData',
    );
  }
  return { PaymentProvider: null, PaymentProviderRole: null, PaymentBearer: null };
}

/** Contract reference codes look like "NYXC-NPXH" (resources.md "Contract"). */
function referenceCode(id: Id): string {
  const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
  const bytes = createHash('sha1').update(id).digest();
  const code = [...bytes.subarray(0, 8)].map((byte) => letters[byte % letters.length] ?? 'X').join('');
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** The order being committed, with its coupon already resolved. */
interface Job {
  order: Order;
  input: OrderInput;
  coupon: OrderCoupon | undefined;
}

function commitSignup(
  ctx: Ctx,
  { order, input, coupon }: Job,
  variant: PlanVariant,
  existing: Customer | undefined,
  options: CommitOptions,
): Contract {
  const { state } = ctx;
  const plan = planOf(state, variant);
  const payment = paymentFor(ctx, variant, existing, options);
  const customer = existing ?? createCustomer(ctx, input.Customer ?? {}, order.CustomerId);
  customer.IsDeletable = false;
  const start = optionalIso(input.StartDate) ?? ctx.now;
  const trialEnd = hasLength(plan.TrialPeriod) ? addPeriod(start, plan.TrialPeriod) : undefined;
  const phase = (type: ContractPhase['Type'], at: number): ContractPhase => ({
    Type: type,
    StartDate: iso(at),
    PlanVariantId: variant.Id,
    PlanId: plan.Id,
    Quantity: input.Cart.Quantity ?? 1,
  });
  const contract: Contract = {
    Id: order.ContractId,
    CustomerId: customer.Id,
    CustomerName: customer.CustomerName ?? '',
    PlanGroupId: variant.PlanGroupId,
    PlanId: plan.Id,
    PlanVariantId: variant.Id,
    ReferenceCode: referenceCode(order.ContractId),
    ExternalId: null,
    Currency: state.planGroups.get(variant.PlanGroupId)?.Currency ?? 'EUR',
    Notes: null,
    ...payment,
    LifecycleStatus: 'Active',
    StartDate: iso(start),
    EndDate: null,
    BilledUntil: null,
    LastBillingDate: null,
    NextBillingDate: iso(trialEnd ?? start),
    TrialEndDate: trialEnd === undefined ? null : iso(trialEnd),
    Phases:
      trialEnd === undefined ? [phase('Normal', start)] : [phase('Trial', start), phase('Normal', trialEnd)],
    CurrentPhase: null,
    Balance: 0,
    CustomFields: { ...(input.ContractCustomFields ?? {}) },
    BillingSuspended: false,
    RecurringPaymentsPaused: false,
    IsDeletable: true,
  };
  state.contracts.set(contract.Id, contract);
  const details = addCartItems(ctx, contract, input, coupon, start);
  const change = recordChange(ctx, contract, {
    Type: 'Signup',
    ChangeDate: start,
    OrderId: order.Id,
    NewPlanVariantId: variant.Id,
    Details: details,
  });
  refresh(ctx, contract);
  const end = optionalIso(input.EndDate);
  if (end !== undefined) scheduleEnd(ctx, contract, end);
  notifyContractCreated(ctx, contract, change);
  notifyContractChanged(ctx, contract, change);
  notify(ctx, customer.Id, {
    Event: 'OrderSucceeded',
    OrderId: order.Id,
    ContractId: contract.Id,
    CustomerId: customer.Id,
  });
  if (trialEnd === undefined) {
    // Fees are prepaid: the first period is invoiced at once, even for a future start (flows.md §3).
    billPeriod(ctx, contract, start, { startedBy: Number.POSITIVE_INFINITY }, ctx.now);
  }
  runDue(ctx, ctx.now, contract.Id);
  return contract;
}

function commitChange(
  ctx: Ctx,
  { order, input, coupon }: Job,
  contract: Contract,
  changeDate: number,
  variant: PlanVariant | undefined,
): Contract {
  assertNotEnded(contract);
  if (variant) {
    // A new phase from ChangeDate replaces whatever was planned from then on [inferred].
    contract.Phases = contract.Phases.filter(
      (item) => item.Type === 'Inactive' || ms(item.StartDate) < changeDate,
    );
    contract.Phases.push({
      Type: 'Normal',
      StartDate: iso(changeDate),
      PlanVariantId: variant.Id,
      PlanId: variant.PlanId,
      Quantity: input.Cart.Quantity ?? 1,
      InheritStartDate: input.Cart.InheritStartDate ?? false,
    });
    sortPhases(contract.Phases);
    replacePlanChanges(ctx, contract, changeDate);
  }
  const details = addCartItems(ctx, contract, input, coupon, changeDate);
  // Every committed change order is an Upgrade, even one that touches only components (webhooks.md).
  const change = recordChange(ctx, contract, {
    Type: 'Upgrade',
    ChangeDate: changeDate,
    OrderId: order.Id,
    ...(variant ? { NewPlanVariantId: variant.Id } : {}),
    Details: details,
  });
  scheduleEffect(ctx, change, {
    kind: 'order',
    planChange: variant !== undefined,
    addons: [
      details.ComponentSubscriptionIds,
      details.EndedComponentSubscriptionIds,
      details.DiscountSubscriptionIds,
    ].some((ids) => ids.length > 0),
    interim: input.TriggerInterimBilling === true,
  });
  // flows.md §4: OrderSucceeded at commit, ContractChanged when the change takes effect.
  notify(ctx, contract.CustomerId, {
    Event: 'OrderSucceeded',
    OrderId: order.Id,
    ContractId: contract.Id,
    CustomerId: contract.CustomerId,
  });
  runDue(ctx, ctx.now, contract.Id);
  return contract;
}

/**
 * A plan change from `changeDate` replaces the plan changes still scheduled from then on: their phases
 * are gone, so when their ChangeDate comes they take no effect and send nothing. flows.md §4 sends
 * ContractChanged when a change *takes effect*, and a replaced one never does. An order that also added
 * or ended components or added discounts still takes effect for those, and is announced then. The
 * replaced change stays listed under GET /contractChanges: its order was committed [inferred].
 */
function replacePlanChanges(ctx: Ctx, contract: Contract, changeDate: number): void {
  for (const [id, effect] of ctx.state.pending) {
    if (effect.contractId !== contract.Id || effect.kind !== 'order' || !effect.planChange) continue;
    if (effect.at < changeDate) continue;
    if (effect.addons) effect.planChange = false;
    else ctx.state.pending.delete(id);
  }
}

/** What an order added or ended: ContractChange.Details [inferred]. */
type CartDetails = {
  ComponentSubscriptionIds: Id[];
  EndedComponentSubscriptionIds: Id[];
  DiscountSubscriptionIds: Id[];
  MeteredUsageIds: Id[];
};

/** Components, discounts, coupon and usage of the cart, effective from `from`; returns what changed. */
function addCartItems(
  ctx: Ctx,
  contract: Contract,
  input: OrderInput,
  coupon: OrderCoupon | undefined,
  from: number,
): CartDetails {
  const { state } = ctx;
  const cart = input.Cart;
  const ended = endSubscriptions(ctx, contract, cart.EndComponentSubscriptions ?? [], from);
  const added = (cart.ComponentSubscriptions ?? []).map(
    (item) =>
      addSubscription(ctx, contract, {
        ComponentId: item.ComponentId,
        Quantity: item.Quantity,
        StartDate: optionalIso(item.StartDate) ?? from,
      }).Id,
  );
  const discounts: Id[] = [];
  const discountFrom = (
    discountId: Id,
    startDate: number,
    source?: { CouponId: Id; CouponCode: string },
  ): void => {
    const discount = state.discounts.get(discountId);
    if (!discount) throw unprocessable(`Discount '${discountId}' does not exist`);
    const subscription = {
      Id: ctx.ids.next(ctx.now),
      ContractId: contract.Id,
      DiscountId: discount.Id,
      CouponId: source?.CouponId ?? null,
      CouponCode: source?.CouponCode ?? null,
      StartDate: iso(startDate),
      EndDate: hasLength(discount.Duration) ? iso(addPeriod(startDate, discount.Duration)) : null,
    };
    state.discountSubscriptions.set(subscription.Id, subscription);
    discounts.push(subscription.Id);
  };
  for (const item of cart.DiscountSubscriptions ?? [])
    discountFrom(item.DiscountId, optionalIso(item.StartDate) ?? from);
  if (coupon?.CouponId && coupon.DiscountId) {
    discountFrom(coupon.DiscountId, from, { CouponId: coupon.CouponId, CouponCode: coupon.CouponCode });
  }
  const usages = (cart.MeteredUsages ?? []).map((item) => recordUsage(ctx, contract, item).Id);
  return {
    ComponentSubscriptionIds: added,
    EndedComponentSubscriptionIds: ended,
    DiscountSubscriptionIds: discounts,
    MeteredUsageIds: usages,
  };
}
