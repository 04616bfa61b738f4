// What a component subscription books: its component, resolved lazily through the loaders.
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { ComponentSubscription } from '../types/component-subscription.type.js';
import { Component } from '../types/component.type.js';
import { type GraphQLContext } from '../context.js';
import { componentOf } from '../resolve.js';

@Resolver(() => ComponentSubscription)
export class ComponentSubscriptionResolver {
  @FieldResolver(() => Component, { nullable: true, description: 'The booked component.' })
  component(@Root() sub: ComponentSubscription, @Ctx() ctx: GraphQLContext): Promise<Component> {
    return componentOf(ctx, sub.componentId);
  }
}
