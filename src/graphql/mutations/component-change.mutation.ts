// Mutation changeComponentSubscriptions and query previewComponentSubscriptionChange: add, re-quantify and
// end components through one change order without a plan variant, which keeps NextBillingDate (flows.md §7).
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { OrderInput } from '../../billwerk/dto.js';
import {
  ChangeComponentSubscriptionsInput,
  PreviewComponentSubscriptionChangeInput,
} from '../inputs/component-change.input.js';
import { type GraphQLContext } from '../context.js';
import { ChangeComponentSubscriptionsPayload } from '../types/mutation.payload.js';
import {
  componentCart,
  componentChangesOf,
  hasComponentChanges,
  type ComponentChanges,
} from './order.flow.js';
import { orderFlow, previewFlow, runFlow } from './flow.js';
import { OrderPreview } from '../types/order.type.js';
import { idOf, invalid, runningContract } from './validate.js';

interface ComponentChange {
  contractId: string;
  changes: ComponentChanges;
  changeDate?: string;
  invoiceImmediately?: boolean;
}

function componentChangeOf(input: PreviewComponentSubscriptionChangeInput): ComponentChange {
  const changes = componentChangesOf(input, '');
  if (!hasComponentChanges(changes)) {
    throw invalid('add', 'Name at least one component to add, change the quantity of, or end.');
  }
  return {
    contractId: idOf('Contract', input.contractId, 'contractId'),
    changes,
    changeDate: input.changeDate?.toISOString(),
    invoiceImmediately: input.invoiceImmediately ?? undefined,
  };
}

async function componentOrder(ctx: GraphQLContext, change: ComponentChange): Promise<OrderInput> {
  const contract = await runningContract(ctx, change.contractId);
  if (change.changeDate && Date.parse(change.changeDate) < Date.parse(contract.StartDate)) {
    throw invalid(
      'changeDate',
      `changeDate ${change.changeDate} is before the contract starts (${contract.StartDate}).`,
    );
  }
  const cart = await componentCart(ctx, change.changes, contract, contract.PlanGroupId, '');
  return {
    ContractId: contract.Id,
    ...(change.changeDate ? { ChangeDate: change.changeDate } : {}),
    ...(change.invoiceImmediately !== undefined ? { TriggerInterimBilling: change.invoiceImmediately } : {}),
    Cart: cart,
  };
}

const componentChange = orderFlow('changeComponentSubscriptions', componentChangeOf, componentOrder);

@Resolver()
export class ComponentChangeMutation {
  @Query(() => OrderPreview, {
    description:
      'Prices component changes without making them (billwerk POST /orders/preview); needs no idempotency key.',
  })
  async previewComponentSubscriptionChange(
    @Arg('input', () => PreviewComponentSubscriptionChangeInput, { description: 'The changes to price.' })
    input: PreviewComponentSubscriptionChangeInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderPreview> {
    return previewFlow(ctx, componentChange, input);
  }

  @Mutation(() => ChangeComponentSubscriptionsPayload, {
    description:
      'Adds components to a contract, changes the quantity of booked ones, and ends component subscriptions, in one change order. Charges come with the next regular invoice unless invoiceImmediately.',
  })
  async changeComponentSubscriptions(
    @Arg('input', () => ChangeComponentSubscriptionsInput, { description: 'The changes.' })
    input: ChangeComponentSubscriptionsInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ChangeComponentSubscriptionsPayload> {
    const { value, replayed } = await runFlow(ctx, componentChange, input);
    return ChangeComponentSubscriptionsPayload.from(value, replayed);
  }
}
