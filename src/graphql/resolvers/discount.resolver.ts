// What a discount subscription and a coupon point at: the discount (and the coupon that granted it),
// resolved lazily through the loaders.
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { type GraphQLContext } from '../context.js';
import { Coupon, Discount, DiscountSubscription } from '../types/discount.type.js';
import { found } from '../resolve.js';

async function discount(ctx: GraphQLContext, id: string): Promise<Discount> {
  return Discount.from(found(await ctx.loaders.discount.load(id), 'Discount', id));
}

@Resolver(() => DiscountSubscription)
export class DiscountSubscriptionResolver {
  @FieldResolver(() => Discount, { nullable: true, description: 'The discount applied.' })
  discount(@Root() sub: DiscountSubscription, @Ctx() ctx: GraphQLContext): Promise<Discount> {
    return discount(ctx, sub.discountId);
  }

  @FieldResolver(() => Coupon, { nullable: true, description: 'The coupon that granted it, if any.' })
  async coupon(@Root() sub: DiscountSubscription, @Ctx() ctx: GraphQLContext): Promise<Coupon | null> {
    if (!sub.couponId) return null;
    return Coupon.from(found(await ctx.loaders.coupon.load(sub.couponId), 'Coupon', sub.couponId));
  }
}

@Resolver(() => Coupon)
export class CouponResolver {
  @FieldResolver(() => Discount, { nullable: true, description: 'The discount the coupon grants.' })
  discount(@Root() coupon: Coupon, @Ctx() ctx: GraphQLContext): Promise<Discount> {
    return discount(ctx, coupon.discountId);
  }
}
