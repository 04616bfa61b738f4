// GraphQL type BillwerkEvent: one webhook notice from billwerk as the gateway stored and enriched it,
// with the raw payload always and the entities it names as they were fetched right after it arrived.
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { encodeEventCursor } from '../../events/cursor.js';
import { type StoredEvent } from '../../events/event-log.js';
import { ContractChange } from './contract-change.type.js';
import { Contract } from './contract.type.js';
import { Customer } from './customer.type.js';
import { Invoice } from './invoice.type.js';
import { DateTime, JSONObject, openEnum } from './scalars.js';

export enum ContractChangeType {
  SIGNUP = 'Signup',
  UPGRADE = 'Upgrade',
  TRIAL_END_CHANGE = 'TrialEndChange',
  COMPONENT_SUBSCRIPTION_CHANGE = 'ComponentSubscriptionChange',
  DISCOUNT_SUBSCRIPTION_CHANGE = 'DiscountSubscriptionChange',
  TIMEBASED = 'Timebased',
  END_CONTRACT = 'EndContract',
  ANNULATION = 'Annulation',
  PAUSE = 'Pause',
  RESUME = 'Resume',
  EXTERNAL_SUBSCRIPTION_SYNC = 'ExternalSubscriptionSync',
  UNKNOWN = 'Unknown',
}
registerEnumType(ContractChangeType, {
  name: 'ContractChangeType',
  description:
    'Known billwerk contract change types; UNKNOWN for a type billwerk added later (see changeType).',
});

export enum EventDelivery {
  PUBLISHED = 'published',
  FAILED = 'failed',
}
registerEnumType(EventDelivery, {
  name: 'EventDelivery',
  description: 'PUBLISHED with details fetched; FAILED when billwerk could not be read after retries.',
});

export enum EventSource {
  WEBHOOK = 'webhook',
  RECONCILED = 'reconciled',
}
registerEnumType(EventSource, {
  name: 'EventSource',
  description:
    "WEBHOOK when billwerk's webhook delivered it; RECONCILED when the gateway found the change in billwerk " +
    'after its webhook never arrived (see docs/operations.md).',
});

@ObjectType({
  description: 'A change billwerk reported by webhook, enriched with the current state of what it names.',
})
export class BillwerkEvent {
  @Field(() => String, {
    description: 'Pass as `after` when subscribing again to continue after this event.',
  })
  cursor!: string;

  @Field(() => String, { description: 'billwerk event name, e.g. ContractChanged (an open set).' })
  event!: string;

  @Field(() => DateTime, { description: 'When the gateway received the notice.' })
  receivedAt!: Date;

  @Field(() => DateTime, {
    description: 'When the change happened: its change date when billwerk reports one, else receipt.',
  })
  occurredAt!: Date;

  @Field(() => ID, { nullable: true, description: 'billwerk id of the contract concerned.' })
  contractId!: string | null;

  @Field(() => ID, { nullable: true, description: 'billwerk id of the customer concerned.' })
  customerId!: string | null;

  @Field(() => String, { nullable: true, description: "The customer's id in the caller's own system." })
  externalCustomerId!: string | null;

  @Field(() => ID, { nullable: true, description: 'billwerk id of the contract change (ContractChangeId).' })
  changeId!: string | null;

  @Field(() => String, { nullable: true, description: 'The change type exactly as billwerk sent it.' })
  changeType!: string | null;

  @Field(() => ContractChangeType, {
    nullable: true,
    description: 'The change type, when it is one this schema knows.',
  })
  knownChangeType!: ContractChangeType | null;

  @Field(() => EventDelivery, { description: 'Whether the details were fetched.' })
  delivery!: EventDelivery;

  @Field(() => JSONObject, { description: 'The notice exactly as billwerk sent it.' })
  payload!: Record<string, unknown>;

  @Field(() => EventSource, { description: 'Whether a webhook delivered it or reconciliation found it.' })
  source!: EventSource;

  @Field(() => Boolean, {
    description:
      'True on an older event an operator sent again (replayWebhookEvents). Its cursor is its original one: ' +
      'do not resume from it.',
  })
  replayed!: boolean;

  @Field(() => Contract, { nullable: true, description: 'The contract as fetched right after the event.' })
  contract!: Contract | null;

  @Field(() => ContractChange, {
    nullable: true,
    description: 'The contract change, for ContractChanged and ContractCreated.',
  })
  change!: ContractChange | null;

  @Field(() => Customer, { nullable: true, description: 'The customer as fetched right after the event.' })
  customer!: Customer | null;

  @Field(() => Invoice, { nullable: true, description: 'The invoice, for invoice events.' })
  invoice!: Invoice | null;

  static from(stored: StoredEvent): BillwerkEvent {
    const { notice, enrichment } = stored;
    const change = enrichment?.change ? ContractChange.from(enrichment.change) : null;
    const knownChangeType = notice.changeType
      ? openEnum(ContractChangeType, notice.changeType, ContractChangeType.UNKNOWN)
      : null;
    return Object.assign(new BillwerkEvent(), {
      cursor: encodeEventCursor(stored.publishedSeq ?? 0),
      event: notice.event,
      receivedAt: stored.receivedAt,
      occurredAt: change?.changeDate ?? stored.receivedAt,
      contractId: notice.contractId ?? null,
      customerId: notice.customerId ?? null,
      externalCustomerId: notice.externalCustomerId ?? null,
      changeId: notice.changeId ?? null,
      changeType: notice.changeType ?? null,
      knownChangeType,
      delivery: stored.state === 'failed' ? EventDelivery.FAILED : EventDelivery.PUBLISHED,
      payload: notice.payload,
      source: stored.source === 'reconciled' ? EventSource.RECONCILED : EventSource.WEBHOOK,
      replayed: stored.replayed === true,
      contract: enrichment?.contract ? Contract.from(enrichment.contract) : null,
      change,
      customer: enrichment?.customer ? Customer.from(enrichment.customer) : null,
      invoice: enrichment?.invoice ? Invoice.from(enrichment.invoice) : null,
    });
  }
}
