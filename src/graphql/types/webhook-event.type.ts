// The operator's view of the event log (admin only): every stored notice with its delivery state, failed
// enrichments with their last error, and where it came from (webhook or reconciliation).
import { ErrorCode, GatewayError } from '../errors.js';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { decodeSequence, encodeEventCursor, encodeSequence } from '../../events/cursor.js';
import { type StoredEvent } from '../../events/event-log.js';
import { EventSource } from './billwerk-event.type.js';
import { ConnectionOf } from '../relay/connection.js';
import { DateTime, JSONObject } from './scalars.js';

export enum WebhookEventState {
  RECEIVED = 'received',
  PUBLISHED = 'published',
  FAILED = 'failed',
}
registerEnumType(WebhookEventState, {
  name: 'WebhookEventState',
  description:
    'RECEIVED: stored, details not fetched yet (enrichment pending or retrying); PUBLISHED: sent to subscribers ' +
    'with details; FAILED: sent without details after enrichment gave up (see lastError).',
});

@ObjectType({ description: 'A notice as the event log keeps it (operators only).' })
export class WebhookEvent {
  @Field(() => ID, { description: 'The log entry: pass to replayWebhookEvents.' })
  id!: string;

  @Field(() => Int, { description: 'Receipt order in the log.' })
  sequence!: number;

  @Field(() => String, { description: 'billwerk event name (an open set).' })
  event!: string;

  @Field(() => WebhookEventState, { description: 'How far the event got.' })
  state!: WebhookEventState;

  @Field(() => EventSource, { description: 'Whether a webhook delivered it or reconciliation found it.' })
  source!: EventSource;

  @Field(() => DateTime, { description: 'When the gateway stored it.' })
  receivedAt!: Date;

  @Field(() => DateTime, { nullable: true, description: 'When it went out to subscribers.' })
  publishedAt!: Date | null;

  @Field(() => Int, { description: 'Enrichment attempts that failed.' })
  attempts!: number;

  @Field(() => String, { nullable: true, description: 'Why the last enrichment attempt failed.' })
  lastError!: string | null;

  @Field(() => ID, { nullable: true, description: 'billwerk id of the contract concerned.' })
  contractId!: string | null;

  @Field(() => ID, { nullable: true, description: 'billwerk id of the customer concerned.' })
  customerId!: string | null;

  @Field(() => ID, { nullable: true, description: 'billwerk id of the contract change (ContractChangeId).' })
  changeId!: string | null;

  @Field(() => String, { nullable: true, description: 'The change type exactly as billwerk sent it.' })
  changeType!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The subscription cursor of this event once published (a subscriber's `after`).",
  })
  cursor!: string | null;

  @Field(() => JSONObject, { description: 'The notice exactly as received.' })
  payload!: Record<string, unknown>;

  static from(stored: StoredEvent): WebhookEvent {
    const { notice } = stored;
    return Object.assign(new WebhookEvent(), {
      id: encodeLogId(stored.seq),
      sequence: stored.seq,
      event: notice.event,
      state: stored.state as WebhookEventState,
      source: stored.source as EventSource,
      receivedAt: stored.receivedAt,
      publishedAt: stored.publishedAt ?? null,
      attempts: stored.attempts,
      lastError: stored.lastError ?? null,
      contractId: notice.contractId ?? null,
      customerId: notice.customerId ?? null,
      changeId: notice.changeId ?? null,
      changeType: notice.changeType ?? null,
      cursor: stored.publishedSeq === undefined ? null : encodeEventCursor(stored.publishedSeq),
      payload: notice.payload,
    });
  }
}

@ObjectType({ description: 'A page of the event log, oldest first.' })
export class WebhookEventConnection extends ConnectionOf(WebhookEvent, 'WebhookEvent') {}

/** Log entry ids (and connection cursors): opaque, they encode the receipt sequence. */
export const encodeLogId = (seq: number): string => encodeSequence('log', seq);

export const decodeLogId = (id: string): number | undefined => decodeSequence('log', id);

@InputType({
  description: 'Which stored events to send to live subscribers again: one by id, or a time range.',
})
export class ReplayWebhookEventsInput {
  @Field(() => ID, { nullable: true, description: 'One event (WebhookEvent.id).' })
  id?: string | null;

  @Field(() => DateTime, { nullable: true, description: 'Events received at or after this time.' })
  from?: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Events received before this time.' })
  to?: Date | null;

  @Field(() => String, { nullable: true, description: 'Only this event name (with from/to).' })
  type?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only this contract (with from/to).' })
  contractId?: string | null;
}

@ObjectType({ description: 'What replayWebhookEvents sent.' })
export class ReplayWebhookEventsPayload {
  @Field(() => Int, { description: 'Events sent to live subscribers again (flagged `replayed`).' })
  replayed!: number;

  @Field(() => [WebhookEvent], { description: 'Those events.' })
  events!: WebhookEvent[];
}

/** The log sequence an event id argument names; anything else is BAD_USER_INPUT on `argument`. */
export function logIdOf(value: string, argument: string): number {
  const seq = decodeLogId(value);
  if (seq === undefined) {
    throw new GatewayError(ErrorCode.BAD_USER_INPUT, `${argument} is not an event log id.`, { argument });
  }
  return seq;
}
