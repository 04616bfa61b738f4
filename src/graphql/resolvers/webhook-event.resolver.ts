// The operator's event log (admin only): what came in and how far each event got (webhookEvents), and
// each event's deliveries to event destinations.
import { Arg, Authorized, Ctx, ID, Int, Query, Resolver, FieldResolver, Root } from 'type-graphql';
import { type GraphQLContext } from '../context.js';
import { PageInfo, pageSize, MAX_PAGE_SIZE } from '../relay/connection.js';
import { optionalBillwerkIdOf } from '../relay/node.js';
import { DateTime } from '../types/scalars.js';
import { encodeLogId, WebhookEvent, WebhookEventConnection, logIdOf } from '../types/webhook-event.type.js';
import { decodeSequence } from '../../events/cursor.js';
import { DestinationDelivery } from '../types/event-destination.type.js';
import { checkRange } from '../resolve.js';

@Resolver(() => WebhookEvent)
export class WebhookEventResolver {
  @Authorized('admin')
  @Query(() => WebhookEventConnection, {
    description:
      'The event log, oldest first (admin only): every notice received or reconciled, with its delivery state ' +
      'and, for failed enrichments, the last error.',
  })
  async webhookEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20, description: `Page size (1 to ${MAX_PAGE_SIZE}).` })
    first: number,
    @Arg('after', () => String, { nullable: true, description: 'Continue after this cursor.' })
    after?: string | null,
    @Arg('type', () => String, { nullable: true, description: 'Only this event name (any case).' })
    type?: string | null,
    @Arg('contractId', () => ID, { nullable: true, description: 'Only this contract.' })
    contractId?: string | null,
    @Arg('from', () => DateTime, { nullable: true, description: 'Received at or after.' }) from?: Date | null,
    @Arg('to', () => DateTime, { nullable: true, description: 'Received before.' }) to?: Date | null,
  ): Promise<WebhookEventConnection> {
    pageSize(first);
    checkRange(from, to);
    const afterSeq = after ? logIdOf(after, 'after') : undefined;
    const rows = await ctx.eventLog.list({
      first: first + 1,
      afterSeq,
      types: type ? [type] : undefined,
      contractId: optionalBillwerkIdOf('Contract', contractId, 'contractId'),
      from: from ?? undefined,
      to: to ?? undefined,
    });
    const edges = rows
      .slice(0, first)
      .map((event) => ({ cursor: encodeLogId(event.seq), node: WebhookEvent.from(event) }));
    const pageInfo = Object.assign(new PageInfo(), {
      hasNextPage: rows.length > first,
      hasPreviousPage: afterSeq !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    });
    return Object.assign(new WebhookEventConnection(), { edges, pageInfo });
  }

  @Authorized('admin')
  @FieldResolver(() => [DestinationDelivery], {
    description: "This event's deliveries to event destinations (none until it is published).",
  })
  async deliveries(@Root() event: WebhookEvent, @Ctx() ctx: GraphQLContext): Promise<DestinationDelivery[]> {
    const seq = event.cursor === null ? undefined : decodeSequence('ev', event.cursor);
    if (seq === undefined) return [];
    return (await ctx.destinations.deliveriesOfEvent(seq)).map((record) => DestinationDelivery.from(record));
  }
}
