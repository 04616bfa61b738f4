// Root field planGroups and the plans of a group. Catalogue lists are cached whole (loaders/reader.ts).
import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { type GraphQLContext } from '../context.js';
import { PlanGroup } from '../types/plan-group.type.js';
import { Plan } from '../types/plan.type.js';

@Resolver(() => PlanGroup)
export class PlanGroupResolver {
  @Query(() => [PlanGroup], { description: 'Every plan group of the billwerk account.' })
  async planGroups(@Ctx() ctx: GraphQLContext): Promise<PlanGroup[]> {
    return (await ctx.loaders.catalogue('planGroups')).map((dto) => PlanGroup.from(dto));
  }

  @FieldResolver(() => [Plan], { description: 'The plans of this group.' })
  async plans(@Root() group: PlanGroup, @Ctx() ctx: GraphQLContext): Promise<Plan[]> {
    const plans = await ctx.loaders.catalogue('plans');
    return plans.filter((plan) => plan.PlanGroupId === group.billwerkId).map((dto) => Plan.from(dto));
  }
}
