// Mutation applyCoupon and query previewCoupon: a change order whose cart holds only Cart.CouponCode
// (flows.md §9); and the relations of CouponResult (the coupon and the discount it grants).
import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { OrderInput } from '../billwerk/dto.js';
import { type GraphQLContext } from './context.js';
import { ApplyCouponInput, PreviewCouponInput } from './inputs/coupon.input.js';
import { Coupon, Discount } from './types/discount.type.js';
import { idempotent } from '../idempotency/idempotent.js';
import { ApplyCouponPayload } from './types/mutation.payload.js';
import { placeOrder, previewOrder } from './order.flow.js';
import { CouponResult, OrderPreview } from './types/order.type.js';
import { couponCode, idOf, invalid, runningContract } from './validate.js';

interface Redemption {
  contractId: string;
  couponCode: string;
}

function redemptionOf(input: PreviewCouponInput): Redemption {
  const code = couponCode(input.couponCode);
  if (code === undefined) throw invalid('couponCode', 'couponCode is empty.');
  return { contractId: idOf('Contract', input.contractId, 'contractId'), couponCode: code };
}

async function couponOrder(ctx: GraphQLContext, redemption: Redemption): Promise<OrderInput> {
  const contract = await runningContract(ctx, redemption.contractId);
  return { ContractId: contract.Id, Cart: { CouponCode: redemption.couponCode } };
}

@Resolver(() => CouponResult)
export class CouponRedemptionResolver {
  @Query(() => OrderPreview, {
    description:
      'Checks a coupon code against a contract and prices it (billwerk POST /orders/preview): an invalid code is reported in `coupon`, not as an error. Needs no idempotency key.',
  })
  async previewCoupon(
    @Arg('input', () => PreviewCouponInput, { description: 'The code and the contract.' })
    input: PreviewCouponInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderPreview> {
    return previewOrder(ctx, await couponOrder(ctx, redemptionOf(input)));
  }

  @Mutation(() => ApplyCouponPayload, {
    description:
      'Redeems a coupon code on a contract through a change order; an invalid code fails with BAD_USER_INPUT and extensions.billwerkErrorCode (e.g. InvalidCouponCode).',
  })
  async applyCoupon(
    @Arg('input', () => ApplyCouponInput, { description: 'The redemption.' }) input: ApplyCouponInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ApplyCouponPayload> {
    const redemption = redemptionOf(input);
    const { value, replayed } = await idempotent(ctx, {
      operation: 'applyCoupon',
      input: redemption,
      key: input.idempotencyKey,
      run: (steps) => placeOrder(ctx, steps, async () => ({ body: await couponOrder(ctx, redemption) })),
    });
    return ApplyCouponPayload.from(value, replayed);
  }

  @FieldResolver(() => Coupon, { nullable: true, description: 'The coupon the code belongs to, when valid.' })
  async coupon(@Root() result: CouponResult, @Ctx() ctx: GraphQLContext): Promise<Coupon | null> {
    if (!result.couponId) return null;
    const dto = await ctx.loaders.coupon.load(result.couponId);
    return dto ? Coupon.from(dto, ctx.now()) : null;
  }

  @FieldResolver(() => Discount, {
    nullable: true,
    description: 'The discount the coupon grants, when valid.',
  })
  async discount(@Root() result: CouponResult, @Ctx() ctx: GraphQLContext): Promise<Discount | null> {
    if (!result.discountId) return null;
    const dto = await ctx.loaders.discount.load(result.discountId);
    return dto ? Discount.from(dto) : null;
  }
}
