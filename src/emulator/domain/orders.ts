// Orders: building an Order (preview and create) with totals from a dry-run commit.
// preview → create → commit as in resources.md "Orders" and flows.md §1–4, §7, §9.
import type { Id, Order, OrderCoupon, OrderInput } from '../../billwerk/dto.js';
import { notFound } from '../errors.js';
import { type State, type StoredOrder } from '../store.js';
import { hasLength, iso, ms } from '../time.js';
import { type Ctx } from './context.js';
import { planOf, variantOf } from './contracts.js';
import { commitOrder } from './commit.js';
import { dryRunCtx, invoicesAdded } from './dry-run.js';
import { assertCouponValid, couponFor, resolveTarget, type Target } from './order-rules.js';
import { runDue } from './schedule.js';

/**
 * Builds the Order: ids allocated now (flows.md §1), totals from a dry-run commit. Signup totals are
 * the invoice at commit (after the trial with PreviewAfterTrial); change totals are the invoice when
 * the change takes effect (credit old, charge new [inferred]).
 */
function buildOrder(
  ctx: Ctx,
  input: OrderInput,
  target: Target,
  coupon: OrderCoupon | undefined,
): StoredOrder {
  const { state } = ctx;
  const contract = target.kind === 'change' ? target.contract : undefined;
  const variant =
    target.kind === 'signup' ? target.variant : (target.variant ?? variantOf(state, contract?.PlanVariantId));
  const plan = planOf(state, variant);
  const group = state.planGroups.get(variant.PlanGroupId);
  const isTrial = target.kind === 'signup' && hasLength(plan.TrialPeriod);
  const order: Order = {
    Id: ctx.ids.next(ctx.now),
    Status: 'InProgress',
    OrderType: target.kind === 'signup' ? 'Signup' : 'Upgrade',
    CustomerId: contract?.CustomerId ?? input.CustomerId ?? ctx.ids.next(ctx.now),
    ContractId: contract?.Id ?? ctx.ids.next(ctx.now),
    PlanVariantId: variant.Id,
    PlanId: plan.Id,
    PlanName: plan.Name._c ?? null,
    PlanVariantName: variant.InternalName,
    Currency: group?.Currency ?? 'EUR',
    IsTrial: isTrial,
    TrialEndPolicy: plan.TrialEndPolicy ?? null,
    AllowWithoutPaymentData: variant.AllowWithoutPaymentData ?? false,
    Total: 0,
    TotalVat: 0,
    TotalGross: 0,
    NextTotalGross: null,
    NextTotalGrossDate: null,
    CreatedAt: iso(ctx.now),
    ChangeDate: target.kind === 'change' ? iso(target.changeDate) : null,
    StartDate: target.kind === 'signup' ? (input.StartDate ?? iso(ctx.now)) : null,
    LineItems: [],
    ComponentSubscriptions: input.Cart.ComponentSubscriptions ?? [],
    DiscountSubscriptions: [],
    MeteredUsages: input.Cart.MeteredUsages ?? [],
    ...(input.Customer ? { Customer: input.Customer } : {}),
    Coupon: coupon ?? null,
  };
  // A preview with an invalid code is priced without it, and reports the code in Order.Coupon (flows.md §9).
  const priced = coupon?.ErrorCode ? { ...input, Cart: { ...input.Cart, CouponCode: undefined } } : input;
  price(ctx, order, priced, input.PreviewAfterTrial === true && isTrial);
  return { order, input };
}

/** Fills totals, line items and the resulting contract from a commit on a copy of the state. */
function price(ctx: Ctx, order: Order, input: OrderInput, afterTrial: boolean): void {
  const copy = dryRunCtx(ctx);
  const contract = commitOrder(copy, { order: structuredClone(order), input }, { dryRun: true });
  let effective = ctx.now;
  if (order.OrderType === 'Upgrade' && order.ChangeDate) effective = Math.max(ctx.now, ms(order.ChangeDate));
  if (afterTrial && contract.TrialEndDate) effective = ms(contract.TrialEndDate);
  runDue(copy, effective, contract.Id);
  const [invoice] = invoicesAdded(ctx, copy, contract.Id, iso(effective));
  if (invoice) {
    order.LineItems = invoice.ItemList ?? [];
    order.Total = Number(invoice.TotalNet);
    order.TotalVat = Number(invoice.TotalVat);
    order.TotalGross = Number(invoice.TotalGross);
  }
  const billed = copy.state.contracts.get(contract.Id) ?? contract;
  order.Contract = structuredClone(billed);
  const nextDate = billed.NextBillingDate;
  if (nextDate) {
    runDue(copy, ms(nextDate), contract.Id);
    const [next] = invoicesAdded(ctx, copy, contract.Id, nextDate);
    order.NextTotalGross = next ? Number(next.TotalGross) : 0;
    order.NextTotalGrossDate = nextDate;
  }
  order.DiscountSubscriptions = [...copy.state.discountSubscriptions.values()].filter(
    (item) => item.ContractId === contract.Id && !ctx.state.discountSubscriptions.has(item.Id),
  );
}

/** POST /orders/preview: the order as it would be, nothing stored; a bad coupon is reported inside. */
export function previewOrder(ctx: Ctx, input: OrderInput): Order {
  const target = resolveTarget(ctx.state, input, ctx.now);
  return buildOrder(ctx, input, target, couponFor(ctx.state, input, target, ctx.now)).order;
}

/** POST /orders: stores the order InProgress; an invalid coupon code fails the request (flows.md §9). */
export function createOrder(ctx: Ctx, input: OrderInput): Order {
  const target = resolveTarget(ctx.state, input, ctx.now);
  const coupon = couponFor(ctx.state, input, target, ctx.now);
  assertCouponValid(coupon);
  const stored = buildOrder(ctx, input, target, coupon);
  ctx.state.orders.set(stored.order.Id, stored);
  return stored.order;
}

export function orderOf(state: State, id: Id): StoredOrder {
  const stored = state.orders.get(id.toLowerCase());
  if (!stored) throw notFound('Order', id);
  return stored;
}
