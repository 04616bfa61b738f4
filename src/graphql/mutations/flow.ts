// The one shape of the mutations that change contracts (signup, plan change, component change, coupon,
// termination): read the input for shape, check it against billwerk and plan (recorded as the step `plan`),
// then write as recorded steps, all under the request's idempotency key. The order flows' preview… queries
// run the same reading and checks and price the order instead of placing it.
import type { OrderInput } from '../../billwerk/dto.js';
import { idempotent, type IdempotentResult, type Steps } from '../../idempotency/idempotent.js';
import { type GraphQLContext } from '../context.js';
import { type OrderOutcome } from '../types/mutation.payload.js';
import { type OrderPreview } from '../types/order.type.js';
import { placeOrder, previewOrder, type OrderPlan } from './order.flow.js';

export interface Flow<Input, Change, Plan, Result> {
  /** The mutation's field name: part of the key's fingerprint, so a key cannot serve two mutations. */
  operation: string;
  /**
   * The input in billwerk terms, checked for shape alone (no billwerk call): what "the same input" means
   * for an idempotency key, so it must not depend on the time or on billwerk.
   */
  read(input: Input, ctx: GraphQLContext): Change;
  /**
   * Checks the change against billwerk and decides what to write. Recorded: a retry after a failed write
   * does not check again what the first attempt checked (its own write would now fail that).
   */
  plan(ctx: GraphQLContext, change: Change): Promise<Plan>;
  /** The writes, each a recorded step. */
  write(ctx: GraphQLContext, steps: Steps, plan: Plan): Promise<Result>;
}

/** Runs a flow's mutation at most once per idempotency key (`input.idempotencyKey` or the header). */
export function runFlow<Input, Change, Plan, Result>(
  ctx: GraphQLContext,
  flow: Flow<Input, Change, Plan, Result>,
  input: Input & { idempotencyKey?: string | null },
): Promise<IdempotentResult<Result>> {
  const change = flow.read(input, ctx);
  return idempotent(ctx, {
    operation: flow.operation,
    input: change,
    key: input.idempotencyKey,
    run: async (steps) => flow.write(ctx, steps, await steps.step('plan', () => flow.plan(ctx, change))),
  });
}

/** A flow that places one billwerk order (POST /orders, then commit), built by `order`. */
export function orderFlow<Input, Change>(
  operation: string,
  read: (input: Input, ctx: GraphQLContext) => Change,
  order: (ctx: GraphQLContext, change: Change) => Promise<OrderInput>,
): Flow<Input, Change, OrderPlan, OrderOutcome> {
  return {
    operation,
    read,
    plan: async (ctx, change) => ({ body: await order(ctx, change) }),
    write: (ctx, steps, plan) => placeOrder(ctx, steps, plan),
  };
}

/** The preview… query of an order flow: the same reading and checks, then billwerk's POST /orders/preview. */
export async function previewFlow<Input, Change, Result>(
  ctx: GraphQLContext,
  flow: Flow<Input, Change, OrderPlan, Result>,
  input: Input,
): Promise<OrderPreview> {
  const plan = await flow.plan(ctx, flow.read(input, ctx));
  return previewOrder(ctx, plan.body);
}
