// GraphQL type PlanVariant: a bookable price and term of a plan (monthly, yearly ...); contracts book one.
import { Field, ID, ObjectType } from 'type-graphql';
import { type PlanVariant as PlanVariantDto } from '../../billwerk/dto.js';
import { Node, toGlobalId } from '../relay/node.js';
import { Period } from './scalars.js';

@ObjectType({
  implements: Node,
  description: 'A bookable variant of a plan: its fees, billing period and terms.',
})
export class PlanVariant implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/PlanVariant/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: string;

  @Field(() => String, { description: 'Internal name of the variant, e.g. "Pro monthly".' })
  name!: string;

  @Field(() => String, { nullable: true, description: "The variant's id in the caller's own system." })
  externalId!: string | null;

  @Field(() => Boolean, { description: 'Hidden variants are not offered for self-service signup.' })
  hidden!: boolean;

  @Field(() => Boolean, { description: 'Whether a contract may start without payment data.' })
  allowWithoutPaymentData!: boolean;

  @Field(() => Period, { nullable: true, description: 'How often the contract is billed.' })
  billingPeriod!: Period | null;

  @Field(() => Period, { nullable: true, description: 'The period the recurring fee refers to.' })
  feePeriod!: Period | null;

  @Field(() => Period, {
    nullable: true,
    description: 'Minimum term of a contract (billwerk ContractPeriod).',
  })
  contractPeriod!: Period | null;

  @Field(() => Period, {
    nullable: true,
    description:
      'Notice period: how long before the end a cancellation must be made (billwerk CancellationPeriod).',
  })
  noticePeriod!: Period | null;

  @Field(() => String, { nullable: true, description: 'PrePaid, PostPaid or PrePaidBillingPeriod.' })
  paymentPeriodMode!: string | null;

  /** Amounts without currency; the resolver adds the plan group's currency. */
  recurringFeeAmount!: number;
  setupFeeAmount!: number;

  planId!: string;
  planGroupId!: string;

  static from(dto: PlanVariantDto): PlanVariant {
    return Object.assign(new PlanVariant(), {
      id: toGlobalId('PlanVariant', dto.Id),
      billwerkId: dto.Id,
      name: dto.InternalName,
      externalId: dto.ExternalId ?? null,
      hidden: dto.Hidden ?? false,
      allowWithoutPaymentData: dto.AllowWithoutPaymentData ?? false,
      billingPeriod: Period.from(dto.BillingPeriod),
      feePeriod: Period.from(dto.FeePeriod),
      contractPeriod: Period.from(dto.ContractPeriod),
      noticePeriod: Period.from(dto.CancellationPeriod),
      paymentPeriodMode: dto.PaymentPeriodMode ?? null,
      recurringFeeAmount: dto.RecurringFee ?? 0,
      setupFeeAmount: dto.SetupFee ?? 0,
      planId: dto.PlanId,
      planGroupId: dto.PlanGroupId,
    });
  }
}
