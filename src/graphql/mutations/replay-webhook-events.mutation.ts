// Sends stored events to live subscribers again (admin only): one by id, or those received in a range.
import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { type StoredEvent } from '../../events/event-log.js';
import { type GraphQLContext } from '../context.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { optionalBillwerkIdOf } from '../relay/node.js';
import {
  ReplayWebhookEventsInput,
  ReplayWebhookEventsPayload,
  WebhookEvent,
  logIdOf,
} from '../types/webhook-event.type.js';
import { checkRange } from '../resolve.js';

/** One replay sends at most this many events; a wider range is refused rather than cut short. */
export const MAX_REPLAY = 1000;

@Resolver()
export class ReplayWebhookEventsMutation {
  @Authorized('admin')
  @Mutation(() => ReplayWebhookEventsPayload, {
    description:
      'Sends stored events to live subscribers again, flagged `replayed` (admin only): one by id, or those ' +
      `received in a time range (at most ${MAX_REPLAY}). Only events already published can be replayed.`,
  })
  async replayWebhookEvents(
    @Arg('input', () => ReplayWebhookEventsInput, { description: 'One event by id, or a time range.' })
    input: ReplayWebhookEventsInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReplayWebhookEventsPayload> {
    const events = input.id ? [await this.one(ctx, input.id)] : await this.range(ctx, input);
    await ctx.replay(events);
    ctx.logger.info({ replayed: events.length, principal: ctx.principalId }, 'events replayed');
    return Object.assign(new ReplayWebhookEventsPayload(), {
      replayed: events.length,
      events: events.map((event) => WebhookEvent.from(event)),
    });
  }

  private async one(ctx: GraphQLContext, id: string): Promise<StoredEvent> {
    const event = await ctx.eventLog.get(logIdOf(id, 'input.id'));
    if (!event)
      throw new GatewayError(ErrorCode.NOT_FOUND, 'No such event in the log (it may have expired).');
    if (event.publishedSeq === undefined) {
      throw new GatewayError(
        ErrorCode.CONFLICT,
        'This event has not been published yet; it goes out once its details are fetched.',
      );
    }
    return event;
  }

  private async range(ctx: GraphQLContext, input: ReplayWebhookEventsInput): Promise<StoredEvent[]> {
    if (!input.from) {
      throw new GatewayError(ErrorCode.BAD_USER_INPUT, 'Give the id of an event, or a range with `from`.', {
        argument: 'input.from',
      });
    }
    checkRange(input.from, input.to);
    const found: StoredEvent[] = [];
    let afterSeq: number | undefined;
    for (;;) {
      const page = await ctx.eventLog.list({
        first: 500,
        afterSeq,
        types: input.type ? [input.type] : undefined,
        contractId: optionalBillwerkIdOf('Contract', input.contractId, 'input.contractId'),
        from: input.from,
        to: input.to ?? undefined,
      });
      found.push(...page.filter((event) => event.publishedSeq !== undefined));
      if (found.length > MAX_REPLAY) {
        throw new GatewayError(
          ErrorCode.BAD_USER_INPUT,
          `More than ${MAX_REPLAY} events in that range: replay a narrower one.`,
          { argument: 'input.to' },
        );
      }
      if (page.length < 500) return found;
      afterSeq = page.at(-1)!.seq;
    }
  }
}
