// GraphQL types Discount, Coupon and DiscountSubscription: reductions in the catalogue and on contracts.
import { Field, Float, ID, ObjectType } from 'type-graphql';
import type {
  Coupon as CouponDto,
  Discount as DiscountDto,
  DiscountSubscription as DiscountSubscriptionDto,
} from '../../billwerk/dto.js';
import { Node, toGlobalId } from '../relay/node.js';
import { DateTime, Period, toDate } from './scalars.js';

@ObjectType({
  implements: Node,
  description: 'A reduction that can be applied to contracts, directly or through a coupon.',
})
export class Discount implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/Discount/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: string;

  @Field(() => String, { description: 'Internal name of the discount.' })
  name!: string;

  @Field(() => String, { description: 'billwerk effect type, e.g. ReductionPercent.' })
  effectType!: string;

  @Field(() => Float, { nullable: true, description: 'Reduction in percent, for percentage discounts.' })
  reductionPercent!: number | null;

  @Field(() => Period, {
    nullable: true,
    description: 'How long the discount applies; null = for the whole contract.',
  })
  duration!: Period | null;

  @Field(() => Boolean, { description: 'Whether the discount also reduces the setup fee.' })
  includesSetupFee!: boolean;

  static from(dto: DiscountDto): Discount {
    return Object.assign(new Discount(), {
      id: toGlobalId('Discount', dto.Id),
      billwerkId: dto.Id,
      name: dto.InternalName,
      effectType: dto.Effect.Type,
      reductionPercent: dto.Effect.ReductionPercent ?? null,
      duration: Period.from(dto.Duration),
      includesSetupFee: dto.IncludeSetup ?? false,
    });
  }
}

@ObjectType({ implements: Node, description: 'A coupon: a code customers enter to get a discount.' })
export class Coupon implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/Coupon/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: string;

  @Field(() => String, { description: 'Internal name of the coupon.' })
  name!: string;

  @Field(() => Boolean, {
    description: 'Whether the coupon can be redeemed now (active, enabled, within its validity).',
  })
  redeemable!: boolean;

  @Field(() => Boolean, { description: 'Whether each code can be used only once.' })
  isSingleUse!: boolean;

  @Field(() => DateTime, { nullable: true, description: 'Start of validity.' })
  validFrom!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'End of validity.' })
  validUntil!: Date | null;

  discountId!: string;

  static from(dto: CouponDto, now = new Date()): Coupon {
    const validFrom = toDate(dto.ValidFrom);
    const validUntil = toDate(dto.ValidUntil);
    return Object.assign(new Coupon(), {
      id: toGlobalId('Coupon', dto.Id),
      billwerkId: dto.Id,
      name: dto.InternalName,
      redeemable:
        dto.Active && dto.Enabled && (!validFrom || validFrom <= now) && (!validUntil || validUntil >= now),
      isSingleUse: dto.IsSingleUse ?? false,
      validFrom,
      validUntil,
      discountId: dto.DiscountId,
    });
  }
}

@ObjectType({ description: 'A discount applied to a contract, possibly through a coupon.' })
export class DiscountSubscription {
  @Field(() => ID, { description: 'The id billwerk uses for this discount subscription.' })
  billwerkId!: string;

  @Field(() => String, { nullable: true, description: 'The coupon code that granted it, if any.' })
  couponCode!: string | null;

  @Field(() => DateTime, { nullable: true, description: 'When the discount starts.' })
  startDate!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When the discount ends; null = with the contract.' })
  endDate!: Date | null;

  discountId!: string;
  couponId!: string | null;

  static from(dto: DiscountSubscriptionDto): DiscountSubscription {
    return Object.assign(new DiscountSubscription(), {
      billwerkId: dto.Id,
      couponCode: dto.CouponCode ?? null,
      startDate: toDate(dto.StartDate),
      endDate: toDate(dto.EndDate),
      discountId: dto.DiscountId,
      couponId: dto.CouponId ?? null,
    });
  }
}
