// Inputs of changePlan and previewPlanChange: another plan variant for a contract, now or at a change
// date, with component changes and a coupon code in the same order (flows.md §3, §4).
import { Field, ID, InputType } from 'type-graphql';
import { ComponentChangesInput } from './component-change.input.js';
import { DateTime } from '../types/scalars.js';

@InputType({ description: 'An up- or downgrade, priced without being made.' })
export class PreviewPlanChangeInput {
  @Field(() => ID, { description: 'The contract (global id or billwerk id).' })
  contractId!: string;

  @Field(() => ID, {
    description: 'The plan variant to move to (global id or billwerk id), of the same plan group.',
  })
  planVariantId!: string;

  @Field(() => DateTime, {
    nullable: true,
    description:
      'When the change takes effect; default: at once. May lie in the past, but not before the contract starts; billing realigns from it.',
  })
  changeDate?: Date | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Keep counting term and notice from the original start (billwerk InheritStartDate); default false.',
  })
  inheritStartDate?: boolean | null;

  @Field(() => ComponentChangesInput, { nullable: true, description: 'Component changes in the same order.' })
  components?: ComponentChangesInput | null;

  @Field(() => String, { nullable: true, description: 'A coupon code to redeem with the change.' })
  couponCode?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Invoice at once (billwerk TriggerInterimBilling); default: as billwerk schedules it.',
  })
  invoiceImmediately?: boolean | null;
}

@InputType({ description: 'An up- or downgrade of a contract to another plan variant.' })
export class ChangePlanInput extends PreviewPlanChangeInput {
  @Field(() => String, {
    nullable: true,
    description: 'Idempotency key (≤ 255 characters); or send the Idempotency-Key header.',
  })
  idempotencyKey?: string | null;
}
