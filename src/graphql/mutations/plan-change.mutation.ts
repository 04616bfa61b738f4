// Mutation changePlan and query previewPlanChange: a change order with ContractId, the new plan variant
// and an optional ChangeDate (flows.md §3 "upgrade order", §4), created and committed like a signup.
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Contract, OrderInput } from '../../billwerk/dto.js';
import { type GraphQLContext } from '../context.js';
import { ChangePlanPayload } from '../types/mutation.payload.js';
import { componentCart, componentChangesOf, type ComponentChanges } from './order.flow.js';
import { orderFlow, previewFlow, runFlow } from './flow.js';
import { OrderPreview } from '../types/order.type.js';
import { ChangePlanInput, PreviewPlanChangeInput } from '../inputs/plan-change.input.js';
import { couponCode, existingVariant, idOf, invalid, runningContract } from './validate.js';

/** The input in billwerk terms, checked for shape (no billwerk call). */
interface PlanChange {
  contractId: string;
  planVariantId: string;
  changeDate?: string;
  inheritStartDate?: boolean;
  components: ComponentChanges;
  couponCode?: string;
  invoiceImmediately?: boolean;
}

function planChangeOf(input: PreviewPlanChangeInput): PlanChange {
  return {
    contractId: idOf('Contract', input.contractId, 'contractId'),
    planVariantId: idOf('PlanVariant', input.planVariantId, 'planVariantId'),
    changeDate: input.changeDate?.toISOString(),
    inheritStartDate: input.inheritStartDate ?? undefined,
    components: componentChangesOf(input.components, 'components.'),
    couponCode: couponCode(input.couponCode),
    invoiceImmediately: input.invoiceImmediately ?? undefined,
  };
}

/** The plan variant booked at `at`: that of the last phase begun by then (Inactive phases book none). */
function variantAt(contract: Contract, at: number): string | undefined {
  let found = contract.PlanVariantId;
  for (const phase of contract.Phases ?? []) {
    if (phase.Type !== 'Inactive' && phase.PlanVariantId && Date.parse(phase.StartDate) <= at) {
      found = phase.PlanVariantId;
    }
  }
  return found;
}

/** Checks the change against the contract and the catalogue, and builds the order. */
async function planChangeOrder(ctx: GraphQLContext, change: PlanChange): Promise<OrderInput> {
  const [contract, variant] = await Promise.all([
    runningContract(ctx, change.contractId),
    existingVariant(ctx, change.planVariantId),
  ]);
  if (contract.PlanGroupId && variant.PlanGroupId !== contract.PlanGroupId) {
    throw invalid(
      'planVariantId',
      `Plan variant ${variant.Id} belongs to another plan group than the contract.`,
    );
  }
  const at = change.changeDate ? Date.parse(change.changeDate) : ctx.now().getTime();
  if (change.changeDate && at < Date.parse(contract.StartDate)) {
    throw invalid(
      'changeDate',
      `changeDate ${change.changeDate} is before the contract starts (${contract.StartDate}).`,
    );
  }
  if (contract.EndDate && at >= Date.parse(contract.EndDate)) {
    throw invalid(
      'changeDate',
      `The contract ends on ${contract.EndDate}, before the change would take effect.`,
    );
  }
  if (variantAt(contract, at) === variant.Id) {
    throw invalid('planVariantId', `The contract is already on plan variant ${variant.Id} at that date.`);
  }
  const cart = await componentCart(ctx, change.components, contract, variant.PlanGroupId, 'components.');
  return {
    ContractId: contract.Id,
    ...(change.changeDate ? { ChangeDate: change.changeDate } : {}),
    ...(change.invoiceImmediately !== undefined ? { TriggerInterimBilling: change.invoiceImmediately } : {}),
    Cart: {
      PlanVariantId: variant.Id,
      PlanId: variant.PlanId,
      ...(change.inheritStartDate !== undefined ? { InheritStartDate: change.inheritStartDate } : {}),
      ...(change.couponCode !== undefined ? { CouponCode: change.couponCode } : {}),
      ...cart,
    },
  };
}

const planChange = orderFlow('changePlan', planChangeOf, planChangeOrder);

@Resolver()
export class PlanChangeMutation {
  @Query(() => OrderPreview, {
    description:
      'Prices an up- or downgrade without making it (billwerk POST /orders/preview); needs no idempotency key.',
  })
  async previewPlanChange(
    @Arg('input', () => PreviewPlanChangeInput, { description: 'The change to price.' })
    input: PreviewPlanChangeInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderPreview> {
    return previewFlow(ctx, planChange, input);
  }

  @Mutation(() => ChangePlanPayload, {
    description:
      'Moves a contract to another plan variant of its plan group, now or at changeDate, with component changes and a coupon in the same order.',
  })
  async changePlan(
    @Arg('input', () => ChangePlanInput, { description: 'The change.' }) input: ChangePlanInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ChangePlanPayload> {
    const { value, replayed } = await runFlow(ctx, planChange, input);
    return ChangePlanPayload.from(value, replayed);
  }
}
