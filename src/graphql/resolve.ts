// Small helpers resolvers share: turning a missing entity into NOT_FOUND, the currency of a plan group's prices,
// the component a booking or usage record names, and checks of list arguments.
import { decodeSequence } from '../events/cursor.js';
import { type GraphQLContext } from './context.js';
import { ErrorCode, GatewayError } from './errors.js';
import { Component } from './types/component.type.js';

/** A missing entity becomes a NOT_FOUND error on its field (which GraphQL then sets to null). */
export function found<T>(value: T | null | undefined, type: string, id: string): T {
  if (value === null || value === undefined) {
    throw new GatewayError(ErrorCode.NOT_FOUND, `${type} ${id} was not found.`, { type, id });
  }
  return value;
}

/** The currency of a plan group: what the prices of its variants and components are in. */
export async function currencyOf(ctx: GraphQLContext, planGroupId: string): Promise<string> {
  const group = await ctx.loaders.planGroup.load(planGroupId);
  return found(group, 'PlanGroup', planGroupId).Currency;
}

/** The component a component subscription or usage record names. */
export async function componentOf(ctx: GraphQLContext, id: string): Promise<Component> {
  return Component.from(found(await ctx.loaders.component.load(id), 'Component', id));
}

/** A time range given as `from` and `to` must not be empty. */
export function checkRange(from: Date | null | undefined, to: Date | null | undefined): void {
  if (from && to && from.getTime() >= to.getTime()) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, '`from` must be before `to`.', { argument: 'from' });
  }
}

/** The log sequence an event cursor (`ev…`) names; anything else is BAD_USER_INPUT on `argument`. */
export function eventSeqOf(cursor: string, argument: string): number {
  const seq = decodeSequence('ev', cursor);
  if (seq === undefined) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `${argument} is not an event cursor.`, { argument });
  }
  return seq;
}
