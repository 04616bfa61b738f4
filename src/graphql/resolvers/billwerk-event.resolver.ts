// Subscriptions contractChanged and billwerkEvents: the stored, enriched webhook events, filtered per
// subscriber, replayed from a cursor (`after`) and then followed live.
import { Arg, Ctx, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { decodeEventCursor, InvalidCursorError } from '../../events/cursor.js';
import { type StoredEvent } from '../../events/event-log.js';
import { clearLoaders } from '../../loaders/loaders.js';
import { BillwerkEvent } from '../types/billwerk-event.type.js';
import { type GraphQLContext } from '../context.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { optionalBillwerkIdOf } from '../relay/node.js';

interface SubscriptionArgs {
  contractId?: string | null;
  customerId?: string | null;
  changeTypes?: string[] | null;
  types?: string[] | null;
  after?: string | null;
}

/**
 * Lower-cased name sets, shared by every subscription that asks for the same names: an idle subscription
 * holds a reference, not a Set of its own (bounded: past the limit a set is made for the caller alone).
 */
const nameSets = new Map<string, ReadonlySet<string>>();
const NAME_SETS_MAX = 1000;

function lower(values: string[] | null | undefined): ReadonlySet<string> | undefined {
  if (!values || values.length === 0) return undefined;
  const names = values.map((v) => v.toLowerCase());
  const key = names.join('\n');
  let set = nameSets.get(key);
  if (!set) {
    set = new Set(names);
    if (nameSets.size < NAME_SETS_MAX) nameSets.set(key, set);
  }
  return set;
}

/**
 * What one subscription lets through, as one object rather than a closure per condition: contract and
 * customer ids, contract events only (contractChanged), change types and event names, and always the
 * caller's scope (a partner or customer never sees another's events, whatever it asks), checked last as
 * the costliest; every condition must hold, so the order changes nothing but the work.
 */
class EventMatch {
  constructor(
    private readonly access: GraphQLContext['access'],
    private readonly contractId: string | undefined,
    private readonly customerId: string | undefined,
    private readonly contractEventsOnly: boolean,
    private readonly changeTypes: ReadonlySet<string> | undefined,
    private readonly types: ReadonlySet<string> | undefined,
  ) {}

  matches(e: StoredEvent): boolean {
    const { notice } = e;
    if (this.contractId && notice.contractId !== this.contractId) return false;
    if (this.customerId && notice.customerId !== this.customerId) return false;
    if (this.contractEventsOnly && !isContractEvent(e)) return false;
    if (
      this.changeTypes &&
      !(notice.changeType !== undefined && this.changeTypes.has(notice.changeType.toLowerCase()))
    ) {
      return false;
    }
    if (this.types && !this.types.has(notice.event.toLowerCase())) return false;
    return this.access.eventVisible(e);
  }
}

/** Contract lifecycle events: ContractCreated, ContractChanged, ContractCancelled, … and future Contract* ones. */
const isContractEvent = (e: StoredEvent) =>
  /^contract/i.test(e.notice.event) && e.notice.contractId !== undefined;

/**
 * Opens the hub stream of a subscription: replayed from `after` (or the SSE Last-Event-ID) when given, then
 * live. A subscription to one contract replays only that contract's events from the log; a customer is not
 * a scope (the log does not store events by customer).
 */
async function open(
  context: GraphQLContext,
  args: SubscriptionArgs,
  conditions: { contractEventsOnly: boolean; changeTypes?: ReadonlySet<string>; types?: ReadonlySet<string> },
): Promise<AsyncIterable<StoredEvent>> {
  const contractId = optionalBillwerkIdOf('Contract', args.contractId, 'contractId');
  const customerId = optionalBillwerkIdOf('Customer', args.customerId, 'customerId');
  const match = new EventMatch(
    context.access,
    contractId,
    customerId,
    conditions.contractEventsOnly,
    conditions.changeTypes,
    conditions.types,
  );
  try {
    const after = context.resumeAfter ?? args.after;
    const afterPublishedSeq = after ? decodeEventCursor(after) : undefined;
    return await context.events.stream((e) => match.matches(e), {
      afterPublishedSeq,
      scope: contractId ? { contractId } : undefined,
      onOverflow: context.onSlowConsumer,
    });
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new GatewayError(ErrorCode.BAD_USER_INPUT, error.message, { argument: 'after' });
    }
    throw error;
  }
}

function subscribeContractChanged({
  args,
  context,
}: SubscribeResolverData<unknown, SubscriptionArgs, GraphQLContext>) {
  return open(context, args, { contractEventsOnly: true, changeTypes: lower(args.changeTypes) });
}

function subscribeBillwerkEvents({
  args,
  context,
}: SubscribeResolverData<unknown, SubscriptionArgs, GraphQLContext>) {
  return open(context, args, { contractEventsOnly: false, types: lower(args.types) });
}

@Resolver()
export class BillwerkEventResolver {
  @Subscription(() => BillwerkEvent, {
    description:
      'Changes of contracts (ContractCreated, ContractChanged, ContractCancelled, …), in billwerk order per contract. ' +
      'Pass the last `cursor` received as `after` to get what was missed, then live events.',
    subscribe: subscribeContractChanged,
  })
  contractChanged(
    @Root() event: StoredEvent,
    @Ctx() ctx: GraphQLContext,
    @Arg('contractId', () => ID, { nullable: true, description: 'Only this contract.' }) _contractId?: string,
    @Arg('customerId', () => ID, { nullable: true, description: "Only this customer's contracts." })
    _customerId?: string,
    @Arg('changeTypes', () => [String], {
      nullable: true,
      description: 'Only these change types (raw billwerk names).',
    })
    _changeTypes?: string[],
    @Arg('after', () => String, { nullable: true, description: 'Resume after this cursor.' }) _after?: string,
  ): BillwerkEvent {
    clearLoaders(ctx.loaders);
    return BillwerkEvent.from(event);
  }

  @Subscription(() => BillwerkEvent, {
    description:
      'Every billwerk webhook event, known or not, optionally filtered by type, contract or customer.',
    subscribe: subscribeBillwerkEvents,
  })
  billwerkEvents(
    @Root() event: StoredEvent,
    @Ctx() ctx: GraphQLContext,
    @Arg('types', () => [String], {
      nullable: true,
      description: 'Only these event names (e.g. InvoiceCreated).',
    })
    _types?: string[],
    @Arg('contractId', () => ID, { nullable: true, description: 'Only events of this contract.' })
    _contractId?: string,
    @Arg('customerId', () => ID, { nullable: true, description: 'Only events of this customer.' })
    _customerId?: string,
    @Arg('after', () => String, { nullable: true, description: 'Resume after this cursor.' }) _after?: string,
  ): BillwerkEvent {
    clearLoaders(ctx.loaders);
    return BillwerkEvent.from(event);
  }
}
