// What a coupon result in an order or preview points at: the coupon its code belongs to and the discount
// it grants, when the code is valid.
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { type GraphQLContext } from '../context.js';
import { Coupon, Discount } from '../types/discount.type.js';
import { CouponResult } from '../types/order.type.js';

@Resolver(() => CouponResult)
export class CouponResultResolver {
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
