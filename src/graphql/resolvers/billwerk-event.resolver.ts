// Subscriptions contractChanged and billwerkEvents: the stored, enriched webhook events, filtered per
// subscriber, replayed from a cursor (`after`) and then followed live.
import { Arg, Ctx, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { decodeEventCursor, InvalidCursorError } from '../../events/cursor.js';
import { type ReadScope, type StoredEvent } from '../../events/event-log.js';
import { type EventFilter } from '../../delivery/hub.js';
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

const lower = (values: string[] | null | undefined) =>
  values && values.length > 0 ? new Set(values.map((v) => v.toLowerCase())) : undefined;

/**
 * The filter every subscription shares: contract and customer ids; with the scope it implies, so a resumed
 * subscription to one contract replays only that contract's events from the log. A customer is not a scope:
 * the log does not store events by customer.
 */
function idFilter(args: SubscriptionArgs): { ids: EventFilter; scope: ReadScope } {
  const contractId = optionalBillwerkIdOf('Contract', args.contractId, 'contractId');
  const customerId = optionalBillwerkIdOf('Customer', args.customerId, 'customerId');
  return {
    ids: (e) =>
      (!contractId || e.notice.contractId === contractId) &&
      (!customerId || e.notice.customerId === customerId),
    scope: contractId ? { contractId } : {},
  };
}

async function open(
  context: GraphQLContext,
  args: SubscriptionArgs,
  filter: EventFilter,
  scope: ReadScope,
): Promise<AsyncIterable<StoredEvent>> {
  let afterPublishedSeq: number | undefined;
  try {
    const after = context.resumeAfter ?? args.after;
    afterPublishedSeq = after ? decodeEventCursor(after) : undefined;
    // The caller's scope first: a partner or customer never sees another's events, whatever it asks.
    const { access } = context;
    return await context.events.stream((e) => access.eventVisible(e) && filter(e), {
      afterPublishedSeq,
      scope,
      onOverflow: context.onSlowConsumer,
    });
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new GatewayError(ErrorCode.BAD_USER_INPUT, error.message, { argument: 'after' });
    }
    throw error;
  }
}

/** Contract lifecycle events: ContractCreated, ContractChanged, ContractCancelled, … and future Contract* ones. */
const isContractEvent = (e: StoredEvent) =>
  /^contract/i.test(e.notice.event) && e.notice.contractId !== undefined;

function subscribeContractChanged({
  args,
  context,
}: SubscribeResolverData<unknown, SubscriptionArgs, GraphQLContext>) {
  const { ids, scope } = idFilter(args);
  const changeTypes = lower(args.changeTypes);
  return open(
    context,
    args,
    (e) =>
      isContractEvent(e) &&
      ids(e) &&
      (!changeTypes ||
        (e.notice.changeType !== undefined && changeTypes.has(e.notice.changeType.toLowerCase()))),
    scope,
  );
}

function subscribeBillwerkEvents({
  args,
  context,
}: SubscribeResolverData<unknown, SubscriptionArgs, GraphQLContext>) {
  const { ids, scope } = idFilter(args);
  const types = lower(args.types);
  return open(context, args, (e) => ids(e) && (!types || types.has(e.notice.event.toLowerCase())), scope);
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
