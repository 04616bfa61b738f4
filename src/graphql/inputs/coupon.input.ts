// Inputs of applyCoupon and previewCoupon: a coupon code to redeem on a running contract (flows.md §9);
// billwerk normalises the code itself.
import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'A coupon code to check against a contract.' })
export class PreviewCouponInput {
  @Field(() => ID, { description: 'The contract (global id or billwerk id).' })
  contractId!: string;

  @Field(() => String, {
    description: 'The code; case and punctuation do not matter ("welcome-10" = "WELCOME10").',
  })
  couponCode!: string;
}

@InputType({ description: 'A coupon code to redeem on a contract.' })
export class ApplyCouponInput extends PreviewCouponInput {
  @Field(() => String, {
    nullable: true,
    description: 'Idempotency key (≤ 255 characters); or send the Idempotency-Key header.',
  })
  idempotencyKey?: string | null;
}
