// Root field plans and a plan's group and variants. Catalogue lists are cached whole (loaders/reader.ts).
import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { type GraphQLContext } from '../context.js';
import { optionalBillwerkIdOf } from '../relay/node.js';
import { PlanGroup } from '../types/plan-group.type.js';
import { PlanVariant } from '../types/plan-variant.type.js';
import { Plan } from '../types/plan.type.js';
import { found } from '../resolve.js';

@Resolver(() => Plan)
export class PlanResolver {
  @Query(() => [Plan], { description: 'Every plan, or those of one plan group.' })
  async plans(
    @Ctx() ctx: GraphQLContext,
    @Arg('planGroupId', () => ID, { nullable: true, description: 'Only plans of this plan group.' })
    planGroupId?: string,
  ): Promise<Plan[]> {
    const groupId = optionalBillwerkIdOf('PlanGroup', planGroupId, 'planGroupId');
    const plans = await ctx.loaders.catalogue('plans');
    return plans.filter((plan) => !groupId || plan.PlanGroupId === groupId).map((dto) => Plan.from(dto));
  }

  @FieldResolver(() => PlanGroup, { nullable: true, description: 'The plan group the plan belongs to.' })
  async planGroup(@Root() plan: Plan, @Ctx() ctx: GraphQLContext): Promise<PlanGroup> {
    return PlanGroup.from(
      found(await ctx.loaders.planGroup.load(plan.planGroupId), 'PlanGroup', plan.planGroupId),
    );
  }

  @FieldResolver(() => [PlanVariant], { description: 'The bookable variants of the plan.' })
  async variants(@Root() plan: Plan, @Ctx() ctx: GraphQLContext): Promise<PlanVariant[]> {
    const variants = await ctx.loaders.catalogue('planVariants');
    return variants.filter((v) => v.PlanId === plan.billwerkId).map((dto) => PlanVariant.from(dto));
  }
}
