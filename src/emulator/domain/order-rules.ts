// Order rules: which target an OrderDTO names, whether its references and dates hold, coupon codes.
// Checked at create and again at commit, since the contract may have changed in between.
import type {
  Contract,
  Coupon,
  Customer,
  Id,
  OrderCoupon,
  OrderInput,
  PlanVariant,
} from '../../billwerk/dto.js';
import { unprocessable } from '../errors.js';
import { type State } from '../store.js';
import { ms, optionalIso } from '../time.js';
import { componentFor } from './components.js';
import { phaseAt, variantOf } from './contracts.js';

/** Codes are compared as upper-case alphanumerics: "ABc12-3" = "ABC123" (resources.md "Coupon"). */
export function normaliseCouponCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** The coupon a code names, or the error billwerk reports for it (flows.md §9). */
export function resolveCoupon(state: State, code: string, planGroupId: Id, now: number): OrderCoupon {
  const normalised = normaliseCouponCode(code);
  const coupon = [...state.coupons.values()].find(
    (item) => normaliseCouponCode(item.Code ?? '') === normalised,
  );
  const usable = coupon && isUsable(state, coupon, planGroupId, now);
  if (!coupon || !usable) {
    return {
      CouponCode: normalised,
      ErrorCode: 'InvalidCouponCode',
      ErrorMessage: `The coupon code '${code}' is not valid`,
    };
  }
  return { CouponCode: normalised, CouponId: coupon.Id, DiscountId: coupon.DiscountId };
}

function isUsable(state: State, coupon: Coupon, planGroupId: Id, now: number): boolean {
  if (!coupon.Active || !coupon.Enabled || coupon.PlanGroupId !== planGroupId) return false;
  if (coupon.ValidFrom && now < ms(coupon.ValidFrom)) return false;
  if (coupon.ValidUntil && now > ms(coupon.ValidUntil)) return false;
  const used = [...state.discountSubscriptions.values()].some((item) => item.CouponId === coupon.Id);
  return !(coupon.IsSingleUse && used);
}

/** The coupon the cart names, resolved against the target's plan group (undefined without a code). */
export function couponFor(
  state: State,
  input: OrderInput,
  target: Target,
  now: number,
): OrderCoupon | undefined {
  const code = input.Cart.CouponCode;
  if (!code) return undefined;
  return resolveCoupon(state, code, planGroupOf(target), now);
}

/** An invalid code fails POST /orders and the commit: 422 with ErrorCode/ErrorMessage (flows.md §9). */
export function assertCouponValid(coupon: OrderCoupon | undefined): void {
  if (!coupon?.ErrorCode) return;
  const message = coupon.ErrorMessage ?? 'Invalid coupon code';
  throw unprocessable(message, { ErrorCode: coupon.ErrorCode, ErrorMessage: message });
}

/** What an order is about, once its references are checked. */
export type Target =
  | { kind: 'signup'; variant: PlanVariant; customer?: Customer }
  | { kind: 'change'; contract: Contract; variant?: PlanVariant; changeDate: number };

/**
 * Checks the target, the dates and every catalogue reference of the cart (422 on any broken rule),
 * all before anything is written, so a failing commit leaves no trace.
 */
export function resolveTarget(state: State, input: OrderInput, now: number): Target {
  const target = targetOf(state, input, now);
  checkCart(state, input.Cart, target);
  return target;
}

const planGroupOf = (target: Target): Id =>
  target.kind === 'signup' ? target.variant.PlanGroupId : (target.contract.PlanGroupId ?? '');

function checkCart(state: State, cart: OrderInput['Cart'], target: Target): void {
  const group = planGroupOf(target);
  for (const item of cart.ComponentSubscriptions ?? []) componentFor(state, group, item.ComponentId, false);
  for (const item of cart.MeteredUsages ?? []) componentFor(state, group, item.ComponentId, true);
  for (const item of cart.DiscountSubscriptions ?? []) {
    if (state.discounts.get(item.DiscountId)?.PlanGroupId !== group) {
      throw unprocessable(`Discount '${item.DiscountId}' does not exist in the plan group`);
    }
  }
  for (const id of cart.EndComponentSubscriptions ?? []) {
    const own =
      target.kind === 'change' && state.componentSubscriptions.get(id)?.ContractId === target.contract.Id;
    if (!own && state.components.get(id)?.PlanGroupId !== group) {
      throw unprocessable(`'${id}' is neither a component subscription of the contract nor a component id`);
    }
  }
}

function targetOf(state: State, input: OrderInput, now: number): Target {
  const targets = [input.Customer, input.CustomerId, input.ContractId].filter((item) => item !== undefined);
  if (targets.length !== 1)
    throw unprocessable('An order names exactly one of Customer, CustomerId or ContractId');
  const cart = input.Cart;
  const variant = cart.PlanVariantId ? variantOf(state, cart.PlanVariantId) : undefined;
  if (variant && cart.PlanId && variant.PlanId !== cart.PlanId) {
    throw unprocessable(`Plan variant '${variant.Id}' does not belong to plan '${cart.PlanId}'`);
  }
  if (input.ContractId === undefined) {
    if (!variant) throw unprocessable('A signup order needs Cart.PlanVariantId');
    const start = optionalIso(input.StartDate) ?? now;
    const end = optionalIso(input.EndDate);
    if (end !== undefined && end <= start) throw unprocessable('EndDate must be after StartDate');
    if (input.CustomerId === undefined) return { kind: 'signup', variant };
    const customer = state.customers.get(input.CustomerId);
    if (!customer || customer.DeletedAt) throw unprocessable(`Customer '${input.CustomerId}' does not exist`);
    return { kind: 'signup', variant, customer };
  }
  const contract = state.contracts.get(input.ContractId);
  if (!contract) throw unprocessable(`Contract '${input.ContractId}' does not exist`);
  if (contract.LifecycleStatus === 'Ended') throw unprocessable(`Contract '${contract.Id}' has ended`);
  if (variant && variant.PlanGroupId !== contract.PlanGroupId) {
    throw unprocessable('The new plan variant belongs to another plan group');
  }
  const changeDate = optionalIso(input.ChangeDate) ?? now;
  // flows.md §3: a ChangeDate before StartDate is rejected [inferred]; a past one is allowed (§4).
  if (changeDate < ms(contract.StartDate))
    throw unprocessable('ChangeDate must not be before the contract StartDate');
  if (contract.EndDate && changeDate >= ms(contract.EndDate))
    throw unprocessable('ChangeDate must be before EndDate');
  const inForce = phaseAt(contract, now);
  if (variant && inForce && ms(inForce.StartDate) <= now && changeDate < ms(inForce.StartDate)) {
    throw unprocessable('ChangeDate must not be before the phase in force began');
  }
  return { kind: 'change', contract, changeDate, ...(variant ? { variant } : {}) };
}
