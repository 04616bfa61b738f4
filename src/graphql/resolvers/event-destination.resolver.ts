// Event destinations as admin keys (all of them) and partner keys (their own) see them: the list, one
// destination, and its deliveries.
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { type GraphQLContext } from '../context.js';
import { PageInfo, pageSize, MAX_PAGE_SIZE } from '../relay/connection.js';
import { ErrorCode, GatewayError } from '../errors.js';
import {
  DestinationDelivery,
  DestinationDeliveryConnection,
  DestinationDeliveryState,
  EventDestination,
  EventDestinationConnection,
} from '../types/event-destination.type.js';
import { eventSeqOf } from '../resolve.js';

function pageInfo(cursors: string[], hasNextPage: boolean, after: unknown): PageInfo {
  return Object.assign(new PageInfo(), {
    hasNextPage,
    hasPreviousPage: after !== undefined && after !== null,
    startCursor: cursors[0] ?? null,
    endCursor: cursors.at(-1) ?? null,
  });
}

@Resolver(() => EventDestination)
export class EventDestinationResolver {
  @Query(() => EventDestinationConnection, {
    description:
      'Event destinations the caller manages, oldest first (admin keys: all; partner keys: their own).',
  })
  async eventDestinations(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20, description: `Page size (1 to ${MAX_PAGE_SIZE}).` })
    first: number,
    @Arg('after', () => String, { nullable: true, description: 'Continue after this cursor.' })
    after?: string | null,
  ): Promise<EventDestinationConnection> {
    pageSize(first);
    const all = await ctx.destinations.list(ctx.principal);
    const start = after ? all.findIndex((d) => d.id === after) + 1 : 0;
    if (after && start === 0) {
      throw new GatewayError(ErrorCode.BAD_USER_INPUT, '`after` is not a cursor of this list.', {
        argument: 'after',
      });
    }
    const page = all.slice(start, start + first);
    const edges = page.map((d) => ({ cursor: d.id, node: EventDestination.from(d) }));
    return Object.assign(new EventDestinationConnection(), {
      edges,
      pageInfo: pageInfo(
        edges.map((e) => e.cursor),
        start + first < all.length,
        after,
      ),
    });
  }

  @Query(() => EventDestination, { description: 'One event destination the caller manages.' })
  async eventDestination(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { description: 'The destination id.' }) id: string,
  ): Promise<EventDestination> {
    return EventDestination.from(await ctx.destinations.get(ctx.principal, id));
  }

  @FieldResolver(() => Int, { description: 'Deliveries waiting: pending or failing.' })
  backlog(@Root() destination: EventDestination, @Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.destinations.backlog(destination.id);
  }

  @FieldResolver(() => DestinationDeliveryConnection, { description: 'Its deliveries, oldest event first.' })
  async deliveries(
    @Root() destination: EventDestination,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20, description: `Page size (1 to ${MAX_PAGE_SIZE}).` })
    first: number,
    @Arg('after', () => String, { nullable: true, description: 'Continue after this event cursor.' })
    after?: string | null,
    @Arg('state', () => DestinationDeliveryState, {
      nullable: true,
      description: 'Only deliveries in this state.',
    })
    state?: DestinationDeliveryState | null,
  ): Promise<DestinationDeliveryConnection> {
    pageSize(first);
    const record = await ctx.destinations.get(ctx.principal, destination.id);
    const rows = await ctx.destinations.deliveries(record, {
      first: first + 1,
      afterSeq: after ? eventSeqOf(after, 'after') : undefined,
      state: state ?? undefined,
    });
    const edges = rows.slice(0, first).map((row) => {
      const node = DestinationDelivery.from(row);
      return { cursor: node.cursor, node };
    });
    return Object.assign(new DestinationDeliveryConnection(), {
      edges,
      pageInfo: pageInfo(
        edges.map((e) => e.cursor),
        rows.length > first,
        after,
      ),
    });
  }
}
