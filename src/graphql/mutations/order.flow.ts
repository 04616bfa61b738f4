// billwerk orders the idempotent way: create and commit as recorded steps (a resumed attempt checks
// whether its commit already went through), previews, component carts, and cache invalidation after writes.
import type { Cart, Contract, Order as OrderDto, OrderCommitInput, OrderInput } from '../../billwerk/dto.js';
import { ValidationError } from '../../billwerk/errors.js';
import { type ComponentChangesInput } from '../inputs/component-change.input.js';
import { type GraphQLContext } from '../context.js';
import { ErrorCode, mapError } from '../errors.js';
import { FinalError, type Steps } from '../../idempotency/idempotent.js';
import { type OrderOutcome } from '../types/mutation.payload.js';
import { OrderPreview } from '../types/order.type.js';
import { componentOf, distinct, idOf, invalid, positive } from './validate.js';
import { answeredId } from '../../billwerk/id.js';

/** Order statuses after a commit went through (the order may still wait for payment or approval). */
const COMMITTED = new Set(['completed', 'paymentpending', 'approvalpending', 'approved']);

/** Drops what a write may have changed from this request's loaders and the shared cache. */
export function forgetTouched(ctx: GraphQLContext, ids: { contractId?: string; customerId?: string }): void {
  if (ids.contractId) ctx.loaders.forget('Contract', ids.contractId);
  if (ids.customerId) ctx.loaders.forget('Customer', ids.customerId);
}

/**
 * Commits the order, unless an earlier attempt with this key did: its answer may have been lost (timeout,
 * 5xx after the write), and committing twice would fail. Then the contract is read instead.
 */
async function commitOnce(
  ctx: GraphQLContext,
  steps: Steps,
  order: OrderDto,
  body: OrderCommitInput,
): Promise<Contract> {
  if (steps.resumed) {
    const current = await ctx.billwerk.orders.get(answeredId(order.Id, 'Order.Id'));
    const status = current.Status.toLowerCase();
    if (COMMITTED.has(status))
      return ctx.billwerk.contracts.get(answeredId(order.ContractId, 'Order.ContractId'));
    if (status !== 'inprogress') {
      throw new FinalError(
        ErrorCode.CONFLICT,
        `The order of an earlier attempt with this idempotency key is ${current.Status}; place it again with a new key.`,
        { field: 'idempotencyKey', orderId: order.Id },
      );
    }
  }
  return ctx.billwerk.orders.commit(answeredId(order.Id, 'Order.Id'), body);
}

/** billwerk refuses an order with a bad coupon code as a whole (flows.md §9): point at the field. */
function couponField(error: unknown): never {
  if (error instanceof ValidationError && error.errorCode === 'InvalidCouponCode') {
    const mapped = mapError(error);
    throw new FinalError(mapped.code, mapped.message, { ...mapped.extensions, field: 'couponCode' });
  }
  throw error;
}

/** A checked order and how to commit it. */
export interface OrderPlan {
  body: OrderInput;
  commit?: OrderCommitInput;
}

/**
 * POST /orders, then POST /orders/{id}/commit (flows.md §1–4, §7, §9), each a recorded step (after the
 * checked plan, flow.ts): a retry after a failed commit commits the order already created instead of
 * creating a second one.
 */
export async function placeOrder(ctx: GraphQLContext, steps: Steps, plan: OrderPlan): Promise<OrderOutcome> {
  const touched = { contractId: plan.body.ContractId, customerId: plan.body.CustomerId };
  try {
    const created = await steps.step('order', () => ctx.billwerk.orders.create(plan.body).catch(couponField));
    touched.contractId = created.ContractId;
    touched.customerId = created.CustomerId;
    const contract = await steps.step('commit', () => commitOnce(ctx, steps, created, plan.commit ?? {}));
    // The order as committed: its status tells whether it still waits for payment or approval.
    const order = await ctx.billwerk.orders.get(answeredId(created.Id, 'Order.Id'));
    return { order, contract };
  } finally {
    forgetTouched(ctx, touched);
  }
}

export async function previewOrder(ctx: GraphQLContext, body: OrderInput): Promise<OrderPreview> {
  const { Order } = await ctx.billwerk.orders.preview(body);
  return OrderPreview.from(Order);
}

/** Component changes with ids and quantities checked; `prefix` locates them in the input for messages. */
export interface ComponentChanges {
  add: { componentId: string; quantity: number }[];
  changeQuantity: { componentId: string; quantity: number }[];
  end: string[];
}

export function componentChangesOf(
  input: ComponentChangesInput | null | undefined,
  prefix: string,
): ComponentChanges {
  const quantities = (list: ComponentChangesInput['add'], name: string) =>
    (list ?? []).map((item, index) => ({
      componentId: idOf('Component', item.componentId, `${prefix}${name}[${index}].componentId`),
      quantity: positive(item.quantity, `${prefix}${name}[${index}].quantity`),
    }));
  const changes: ComponentChanges = {
    add: quantities(input?.add, 'add'),
    changeQuantity: quantities(input?.changeQuantity, 'changeQuantity'),
    end: (input?.end ?? []).map((id, index) => idOf('ComponentSubscription', id, `${prefix}end[${index}]`)),
  };
  distinct(
    [...changes.add, ...changes.changeQuantity].map((item) => item.componentId),
    `${prefix}changeQuantity`,
  );
  distinct(changes.end, `${prefix}end`);
  return changes;
}

export const hasComponentChanges = (changes: ComponentChanges): boolean =>
  changes.add.length + changes.changeQuantity.length + changes.end.length > 0;

/**
 * Checks the changes against the catalogue and the contract, and builds the cart: a quantity change
 * ends every subscription of the component (by component id) and books it anew (flows.md §7).
 */
export async function componentCart(
  ctx: GraphQLContext,
  changes: ComponentChanges,
  contract: Contract,
  planGroupId: string | undefined,
  prefix: string,
): Promise<Pick<Cart, 'ComponentSubscriptions' | 'EndComponentSubscriptions'>> {
  const now = ctx.now().getTime();
  const running = (await ctx.loaders.componentSubscriptionsOfContract.load(contract.Id)).filter(
    (sub) => !sub.EndDate || Date.parse(sub.EndDate) > now,
  );
  await Promise.all([
    ...changes.add.map((item, index) =>
      componentOf(ctx, item.componentId, planGroupId, 'subscription', `${prefix}add[${index}].componentId`),
    ),
    ...changes.changeQuantity.map((item, index) =>
      componentOf(
        ctx,
        item.componentId,
        planGroupId,
        'subscription',
        `${prefix}changeQuantity[${index}].componentId`,
      ),
    ),
  ]);
  changes.changeQuantity.forEach((item, index) => {
    if (!running.some((sub) => sub.ComponentId === item.componentId)) {
      throw invalid(
        `${prefix}changeQuantity[${index}].componentId`,
        `Component ${item.componentId} is not booked on contract ${contract.Id}; add it instead.`,
      );
    }
  });
  changes.end.forEach((id, index) => {
    if (!running.some((sub) => sub.Id === id)) {
      throw invalid(
        `${prefix}end[${index}]`,
        `${id} is not a running component subscription of contract ${contract.Id}.`,
      );
    }
  });
  const booked = [...changes.add, ...changes.changeQuantity];
  const ended = [...changes.end, ...changes.changeQuantity.map((item) => item.componentId)];
  return {
    ...(booked.length > 0
      ? { ComponentSubscriptions: booked.map((i) => ({ ComponentId: i.componentId, Quantity: i.quantity })) }
      : {}),
    ...(ended.length > 0 ? { EndComponentSubscriptions: ended } : {}),
  };
}
