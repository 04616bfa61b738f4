// Root fields planVariant and planVariants, a variant's plan and group, and its prices in the group's
// currency.
import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { type GraphQLContext } from '../context.js';
import { billwerkIdOf, optionalBillwerkIdOf } from '../relay/node.js';
import { PlanGroup } from '../types/plan-group.type.js';
import { PlanVariant } from '../types/plan-variant.type.js';
import { Plan } from '../types/plan.type.js';
import { found, currencyOf } from '../resolve.js';
import { Money } from '../types/scalars.js';

@Resolver(() => PlanVariant)
export class PlanVariantResolver {
  @Query(() => PlanVariant, { nullable: true, description: 'One plan variant, by global id or billwerk id.' })
  async planVariant(
    @Arg('id', () => ID, { description: 'Global id or billwerk id.' }) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PlanVariant> {
    const billwerkId = billwerkIdOf('PlanVariant', id);
    return PlanVariant.from(found(await ctx.loaders.planVariant.load(billwerkId), 'PlanVariant', billwerkId));
  }

  @Query(() => [PlanVariant], { description: 'Every plan variant, or those of one plan.' })
  async planVariants(
    @Ctx() ctx: GraphQLContext,
    @Arg('planId', () => ID, { nullable: true, description: 'Only variants of this plan.' }) planId?: string,
  ): Promise<PlanVariant[]> {
    const plan = optionalBillwerkIdOf('Plan', planId, 'planId');
    const variants = await ctx.loaders.catalogue('planVariants');
    return variants.filter((v) => !plan || v.PlanId === plan).map((dto) => PlanVariant.from(dto));
  }

  @FieldResolver(() => Plan, { nullable: true, description: 'The plan this variant belongs to.' })
  async plan(@Root() variant: PlanVariant, @Ctx() ctx: GraphQLContext): Promise<Plan> {
    return Plan.from(found(await ctx.loaders.plan.load(variant.planId), 'Plan', variant.planId));
  }

  @FieldResolver(() => PlanGroup, { nullable: true, description: 'The plan group this variant belongs to.' })
  async planGroup(@Root() variant: PlanVariant, @Ctx() ctx: GraphQLContext): Promise<PlanGroup> {
    const dto = await ctx.loaders.planGroup.load(variant.planGroupId);
    return PlanGroup.from(found(dto, 'PlanGroup', variant.planGroupId));
  }

  @FieldResolver(() => Money, { description: 'Recurring fee per fee period.' })
  async recurringFee(@Root() variant: PlanVariant, @Ctx() ctx: GraphQLContext): Promise<Money> {
    return Money.of(variant.recurringFeeAmount, await currencyOf(ctx, variant.planGroupId));
  }

  @FieldResolver(() => Money, { description: 'One-time setup fee.' })
  async setupFee(@Root() variant: PlanVariant, @Ctx() ctx: GraphQLContext): Promise<Money> {
    return Money.of(variant.setupFeeAmount, await currencyOf(ctx, variant.planGroupId));
  }
}
