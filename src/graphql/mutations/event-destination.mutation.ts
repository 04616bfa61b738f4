// Event destinations created, changed, paused, resumed, rotated, deleted and redelivered by admin keys
// (all of them) and partner keys (their own).
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { type GraphQLContext } from '../context.js';
import {
  CreateEventDestinationInput,
  UpdateEventDestinationInput,
} from '../inputs/event-destination.input.js';
import {
  DeleteEventDestinationPayload,
  EventDestination,
  EventDestinationWithSecretPayload,
  RedeliverEventsPayload,
} from '../types/event-destination.type.js';
import { eventSeqOf } from '../resolve.js';

@Resolver()
export class EventDestinationMutation {
  @Mutation(() => EventDestinationWithSecretPayload, {
    description:
      'Registers an endpoint for events (admin and partner keys): from now on each event the subscription document selects is posted there, signed (Standard Webhooks), in order per contract, retried until it answers 2xx. A partner key receives only events of its customers.',
  })
  async createEventDestination(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => CreateEventDestinationInput, { description: 'The endpoint and its document.' })
    input: CreateEventDestinationInput,
  ): Promise<EventDestinationWithSecretPayload> {
    const { destination, signingSecret } = await ctx.destinations.create(ctx.principal, input);
    ctx.logger.info({ destination: destination.id, principal: ctx.principalId }, 'event destination created');
    return Object.assign(new EventDestinationWithSecretPayload(), {
      destination: EventDestination.from(destination),
      signingSecret,
    });
  }

  @Mutation(() => EventDestination, {
    description: "Changes a destination's URL, document, variables or note.",
  })
  async updateEventDestination(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => UpdateEventDestinationInput, { description: 'The destination and what changes.' })
    input: UpdateEventDestinationInput,
  ): Promise<EventDestination> {
    const updated = await ctx.destinations.update(ctx.principal, input.id, {
      url: input.url ?? undefined,
      query: input.query ?? undefined,
      variables: input.variables ?? undefined,
      description: input.description ?? undefined,
    });
    return EventDestination.from(updated);
  }

  @Mutation(() => DeleteEventDestinationPayload, {
    description: 'Deletes a destination with its deliveries.',
  })
  async deleteEventDestination(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { description: 'The destination id.' }) id: string,
  ): Promise<DeleteEventDestinationPayload> {
    const deleted = await ctx.destinations.delete(ctx.principal, id);
    ctx.logger.info({ destination: deleted.id, principal: ctx.principalId }, 'event destination deleted');
    return Object.assign(new DeleteEventDestinationPayload(), { id: deleted.id });
  }

  @Mutation(() => EventDestinationWithSecretPayload, {
    description:
      'Issues a new signing secret (shown only here). For 24 hours the previous one signs too: each delivery carries both signatures.',
  })
  async rotateEventDestinationSecret(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { description: 'The destination id.' }) id: string,
  ): Promise<EventDestinationWithSecretPayload> {
    const { destination, signingSecret } = await ctx.destinations.rotateSecret(ctx.principal, id);
    ctx.logger.info({ destination: id, principal: ctx.principalId }, 'event destination secret rotated');
    return Object.assign(new EventDestinationWithSecretPayload(), {
      destination: EventDestination.from(destination),
      signingSecret,
    });
  }

  @Mutation(() => EventDestination, {
    description: 'Stops attempts; events are still taken in and go out, in order, on resume.',
  })
  async pauseEventDestination(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { description: 'The destination id.' }) id: string,
  ): Promise<EventDestination> {
    return EventDestination.from(await ctx.destinations.setPaused(ctx.principal, id, true));
  }

  @Mutation(() => EventDestination, { description: 'Resumes a paused or disabled destination.' })
  async resumeEventDestination(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { description: 'The destination id.' }) id: string,
  ): Promise<EventDestination> {
    return EventDestination.from(await ctx.destinations.setPaused(ctx.principal, id, false));
  }

  @Mutation(() => RedeliverEventsPayload, {
    description:
      'Sends the deliveries of the events from `from` through `to` (event cursors, both included) again, whatever their state.',
  })
  async redeliverEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('destinationId', () => ID, { description: 'The destination id.' }) destinationId: string,
    @Arg('from', () => String, { description: 'The cursor of the first event to send again.' }) from: string,
    @Arg('to', () => String, {
      nullable: true,
      description: 'The cursor of the last one; default: the newest.',
    })
    to?: string | null,
  ): Promise<RedeliverEventsPayload> {
    const toSeq = to ? eventSeqOf(to, 'to') : Number.MAX_SAFE_INTEGER;
    const redelivered = await ctx.destinations.redeliver(
      ctx.principal,
      destinationId,
      eventSeqOf(from, 'from'),
      toSeq,
    );
    ctx.logger.info(
      { destination: destinationId, redelivered, principal: ctx.principalId },
      'events redelivered',
    );
    return Object.assign(new RedeliverEventsPayload(), { redelivered });
  }
}
