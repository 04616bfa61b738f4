// The operator's event log (admin only): browse what came in and how far each event got
// (webhookEvents), what reconciliation dropped as superseded (supersededChanges), and send stored events
// to live subscribers again (replayWebhookEvents).
import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { type StoredEvent } from '../events/event-log.js';
import { MAX_SUPERSEDED_KEPT, readSuperseded } from '../events/reconcile-state.js';
import { type GraphQLContext } from './context.js';
import { PageInfo } from './relay/connection.js';
import { ErrorCode, GatewayError } from './errors.js';
import { optionalBillwerkIdOf } from './relay/node.js';
import { DateTime } from './types/scalars.js';
import { SupersededChange } from './types/superseded-change.type.js';
import {
  decodeLogId,
  encodeLogId,
  ReplayWebhookEventsInput,
  ReplayWebhookEventsPayload,
  WebhookEvent,
  WebhookEventConnection,
} from './types/webhook-event.type.js';

const MAX_PAGE = 100;
/** One replay sends at most this many events; a wider range is refused rather than cut short. */
export const MAX_REPLAY = 1000;

function logIdOf(value: string, argument: string): number {
  const seq = decodeLogId(value);
  if (seq === undefined) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `${argument} is not an event log id.`, { argument });
  }
  return seq;
}

function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `first must be between 1 and ${MAX_PAGE}.`, {
      argument: 'first',
    });
  }
}

function checkRange(from: Date | null | undefined, to: Date | null | undefined): void {
  if (from && to && from.getTime() >= to.getTime()) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, '`from` must be before `to`.', { argument: 'from' });
  }
}

@Resolver()
export class OperatorLogResolver {
  @Authorized('admin')
  @Query(() => WebhookEventConnection, {
    description:
      'The event log, oldest first (admin only): every notice received or reconciled, with its delivery state ' +
      'and, for failed enrichments, the last error.',
  })
  async webhookEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20, description: `Page size (1 to ${MAX_PAGE}).` })
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
    checkFirst(first);
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
  @Query(() => [SupersededChange], {
    description:
      'Contract changes the reconciliation sweep found but dropped, newest first (admin only): billwerk replaced ' +
      `or deleted them before they took effect, so no notice was published for them. Keeps the newest ${MAX_SUPERSEDED_KEPT}.`,
  })
  async supersededChanges(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20, description: `How many (1 to ${MAX_PAGE}).` }) first: number,
    @Arg('contractId', () => ID, { nullable: true, description: 'Only this contract.' })
    contractId?: string | null,
  ): Promise<SupersededChange[]> {
    checkFirst(first);
    const contract = optionalBillwerkIdOf('Contract', contractId, 'contractId');
    const records = await readSuperseded(ctx.eventLog);
    return records
      .filter((record) => contract === undefined || record.contractId === contract)
      .slice(0, first)
      .map((record) => SupersededChange.from(record));
  }

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
