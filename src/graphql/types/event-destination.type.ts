// GraphQL types of event destinations: a destination as its manager sees it (never its secrets, except the
// new one in the payloads of creation and rotation), and its deliveries with their state and last outcome.
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { type DeliveryRecord, type DestinationRecord } from '../../destinations/destination.js';
import { encodeEventCursor } from '../../events/cursor.js';
import { ConnectionOf } from '../relay/connection.js';
import { DateTime, JSONObject } from './scalars.js';

export enum DestinationDeliveryState {
  PENDING = 'pending',
  DELIVERED = 'delivered',
  FAILING = 'failing',
  DEAD = 'dead',
}
registerEnumType(DestinationDeliveryState, {
  name: 'DestinationDeliveryState',
  description:
    'PENDING: not attempted yet (or waiting behind an earlier event of its contract); DELIVERED: answered 2xx; ' +
    'FAILING: failed, retried at nextAttemptAt; DEAD: failed for the whole retry window (redeliverEvents sends it again).',
});

const dateOf = (ms: number | null) => (ms === null ? null : new Date(ms));

@ObjectType({ description: 'One event for one destination: its state and the outcome of its last attempt.' })
export class DestinationDelivery {
  @Field(() => String, { description: "The event's cursor: the `webhook-id` header of every attempt." })
  cursor!: string;

  @Field(() => ID, { description: 'The destination.' })
  destinationId!: string;

  @Field(() => DestinationDeliveryState, { description: 'Where the delivery stands.' })
  state!: DestinationDeliveryState;

  @Field(() => Int, { description: 'Attempts made so far.' })
  attempts!: number;

  @Field(() => DateTime, {
    nullable: true,
    description: 'When the next attempt is due (PENDING and FAILING).',
  })
  nextAttemptAt!: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: "The last attempt's HTTP status; null when no answer came.",
  })
  lastStatusCode!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Why the last attempt failed (status or connection error).',
  })
  lastError!: string | null;

  @Field(() => DateTime, { description: 'When the event was taken in for this destination.' })
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: 'When the destination answered 2xx.' })
  deliveredAt!: Date | null;

  static from(record: DeliveryRecord): DestinationDelivery {
    return Object.assign(new DestinationDelivery(), {
      cursor: encodeEventCursor(record.seq),
      destinationId: record.destinationId,
      state: record.state as DestinationDeliveryState,
      attempts: record.attempts,
      nextAttemptAt: dateOf(record.nextAttemptAt),
      lastStatusCode: record.lastStatus,
      lastError: record.lastError,
      createdAt: new Date(record.createdAt),
      deliveredAt: dateOf(record.deliveredAt),
    });
  }
}

@ObjectType({ description: 'A page of deliveries, oldest event first.' })
export class DestinationDeliveryConnection extends ConnectionOf(DestinationDelivery, 'DestinationDelivery') {}

@ObjectType({
  description:
    'An HTTPS endpoint that receives every event its subscription document selects as a signed Standard Webhooks POST, in order per contract, retried until it answers 2xx.',
})
export class EventDestination {
  @Field(() => ID, { description: 'The destination id.' })
  id!: string;

  @Field(() => String, { description: 'Where events are posted.' })
  url!: string;

  @Field(() => String, { nullable: true, description: "The manager's note." })
  description!: string | null;

  @Field(() => String, { description: 'The subscription document each event is executed with.' })
  query!: string;

  @Field(() => JSONObject, { nullable: true, description: "The document's variables." })
  variables!: Record<string, unknown> | null;

  @Field(() => Boolean, { description: 'Whether deliveries are attempted: neither paused nor disabled.' })
  enabled!: boolean;

  @Field(() => Boolean, {
    description: 'Paused by its manager (events are still taken in, and sent on resume).',
  })
  paused!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Why the gateway disabled it (deliveries failed too long); resumeEventDestination lifts it.',
  })
  disabledReason!: string | null;

  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt!: Date;

  @Field(() => DateTime, {
    nullable: true,
    description: 'Until when the previous signing secret still signs (after a rotation).',
  })
  previousSecretExpiresAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The last failed attempt’s error.' })
  lastError!: string | null;

  @Field(() => DateTime, { nullable: true, description: 'When the last attempt failed.' })
  lastErrorAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When an attempt last succeeded.' })
  lastDeliveredAt!: Date | null;

  static from(record: DestinationRecord, now = Date.now()): EventDestination {
    const previous = record.secrets.find((s) => s.expiresAt !== undefined && s.expiresAt > now);
    return Object.assign(new EventDestination(), {
      id: record.id,
      url: record.url,
      description: record.description,
      query: record.query,
      variables: record.variables,
      enabled: !record.paused && record.disabledAt === null,
      paused: record.paused,
      disabledReason: record.disabledReason,
      createdAt: new Date(record.createdAt),
      previousSecretExpiresAt: dateOf(previous?.expiresAt ?? null),
      lastError: record.lastError,
      lastErrorAt: dateOf(record.lastErrorAt),
      lastDeliveredAt: dateOf(record.lastDeliveredAt),
    });
  }
}

@ObjectType({ description: 'A page of event destinations, oldest first.' })
export class EventDestinationConnection extends ConnectionOf(EventDestination, 'EventDestination') {}

@ObjectType({ description: 'A new destination and its signing secret.' })
export class EventDestinationWithSecretPayload {
  @Field(() => EventDestination, { description: 'The destination.' })
  destination!: EventDestination;

  @Field(() => String, {
    description:
      'The signing secret (`whsec_<base64>`, Standard Webhooks): shown only here, store it now. Verify deliveries with it.',
  })
  signingSecret!: string;
}

@ObjectType({ description: 'The outcome of deleteEventDestination.' })
export class DeleteEventDestinationPayload {
  @Field(() => ID, { description: 'The deleted destination.' })
  id!: string;
}

@ObjectType({ description: 'The outcome of redeliverEvents.' })
export class RedeliverEventsPayload {
  @Field(() => Int, { description: 'Deliveries set pending again.' })
  redelivered!: number;
}
