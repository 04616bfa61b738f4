// Root field components, a component's plan group and its price in the group's currency.
import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Component } from '../types/component.type.js';
import { type GraphQLContext } from '../context.js';
import { PlanGroup } from '../types/plan-group.type.js';
import { found, currencyOf } from '../resolve.js';
import { Money } from '../types/scalars.js';

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
