// GraphQL type Plan: a product in the catalogue; its variants carry prices and terms.
import { Field, ID, ObjectType } from 'type-graphql';
import { type Plan as PlanDto } from '../../billwerk/dto.js';
import { localized } from './localized.js';
import { Node, toGlobalId } from '../relay/node.js';
import { Period } from './scalars.js';

@ObjectType({
  implements: Node,
  description: 'A plan (product) of the catalogue; prices live on its variants.',
})
export class Plan implements Node {
  @Field(() => ID, { description: 'Global id: `gid://billwerk/Plan/<billwerk id>`.' })
  id!: string;

  @Field(() => ID, { description: 'The id billwerk uses.' })
  billwerkId!: string;

  @Field(() => String, { nullable: true, description: 'Name in the default culture.' })
  name!: string | null;

  @Field(() => String, { nullable: true, description: 'Description in the default culture.' })
  description!: string | null;

  @Field(() => Period, { nullable: true, description: 'Free trial at the start of a contract, if any.' })
  trialPeriod!: Period | null;

  @Field(() => String, {
    nullable: true,
    description:
      'What happens when the trial ends (billwerk TrialEndPolicy: NoTrial, DeactivateAccount, RequestPayment).',
  })
  trialEndPolicy!: string | null;

  @Field(() => Boolean, { description: 'Whether contracts book a quantity of this plan.' })
  isQuantityBased!: boolean;

  @Field(() => Boolean, { description: 'Whether orders for this plan wait for approval.' })
  requiresOrderApproval!: boolean;

  @Field(() => Boolean, { description: 'Hidden plans are not offered for self-service signup.' })
  hidden!: boolean;

  planGroupId!: string;

  static from(dto: PlanDto): Plan {
    return Object.assign(new Plan(), {
      id: toGlobalId('Plan', dto.Id),
      billwerkId: dto.Id,
      name: localized(dto.Name),
      description: localized(dto.PlanDescription),
      trialPeriod: dto.TrialPeriod && dto.TrialPeriod.Quantity > 0 ? Period.from(dto.TrialPeriod) : null,
      trialEndPolicy: dto.TrialEndPolicy ?? null,
      isQuantityBased: dto.IsQuantityBased ?? false,
      requiresOrderApproval: dto.RequiresOrderApproval ?? false,
      hidden: dto.Hidden ?? false,
      planGroupId: dto.PlanGroupId,
    });
  }
}
