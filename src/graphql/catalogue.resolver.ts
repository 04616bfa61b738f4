// Root fields over billwerk's product catalogue and the catalogue relations (plan group ↔ plans ↔
// variants, component and variant prices in the group's currency). Catalogue lists are cached whole.
import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { Component } from './types/component.type.js';
import { type GraphQLContext } from './context.js';
import { billwerkIdOf, optionalBillwerkIdOf } from './relay/node.js';
import { PlanGroup } from './types/plan-group.type.js';
import { PlanVariant } from './types/plan-variant.type.js';
import { Plan } from './types/plan.type.js';
import { found } from './resolve.js';
import { Money } from './types/scalars.js';

async function currencyOf(ctx: GraphQLContext, planGroupId: string): Promise<string> {
  const group = await ctx.loaders.planGroup.load(planGroupId);
  return found(group, 'PlanGroup', planGroupId).Currency;
}

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

@Resolver(() => Component)
export class ComponentResolver {
  @Query(() => [Component], { description: 'Every component (add-on) of the catalogue.' })
  async components(@Ctx() ctx: GraphQLContext): Promise<Component[]> {
    return (await ctx.loaders.catalogue('components')).map((dto) => Component.from(dto));
  }

  @FieldResolver(() => Money, { description: 'Price per unit per fee period.' })
  async pricePerUnit(@Root() component: Component, @Ctx() ctx: GraphQLContext): Promise<Money> {
    return Money.of(component.pricePerUnitAmount, await currencyOf(ctx, component.planGroupId));
  }

  @FieldResolver(() => PlanGroup, {
    nullable: true,
    description: 'The plan group this component belongs to.',
  })
  async planGroup(@Root() component: Component, @Ctx() ctx: GraphQLContext): Promise<PlanGroup> {
    const dto = await ctx.loaders.planGroup.load(component.planGroupId);
    return PlanGroup.from(found(dto, 'PlanGroup', component.planGroupId));
  }
}
