// Mutation applyCoupon and query previewCoupon: a change order whose cart holds only Cart.CouponCode
// (flows.md §9).
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { OrderInput } from '../../billwerk/dto.js';
import { type GraphQLContext } from '../context.js';
import { ApplyCouponInput, PreviewCouponInput } from '../inputs/coupon.input.js';
import { ApplyCouponPayload } from '../types/mutation.payload.js';
import { orderFlow, previewFlow, runFlow } from './flow.js';
import { OrderPreview } from '../types/order.type.js';
import { couponCode, idOf, invalid, runningContract } from './validate.js';

interface Redemption {
  contractId: string;
  couponCode: string;
}

function redemptionOf(input: PreviewCouponInput): Redemption {
  const code = couponCode(input.couponCode);
  if (code === undefined) throw invalid('couponCode', 'couponCode is empty.');
  return { contractId: idOf('Contract', input.contractId, 'contractId'), couponCode: code };
}

async function couponOrder(ctx: GraphQLContext, redemption: Redemption): Promise<OrderInput> {
  const contract = await runningContract(ctx, redemption.contractId);
  return { ContractId: contract.Id, Cart: { CouponCode: redemption.couponCode } };
}

const redemption = orderFlow('applyCoupon', redemptionOf, couponOrder);

@Resolver()
export class CouponMutation {
  @Query(() => OrderPreview, {
    description:
      'Checks a coupon code against a contract and prices it (billwerk POST /orders/preview): an invalid code is reported in `coupon`, not as an error. Needs no idempotency key.',
  })
  async previewCoupon(
    @Arg('input', () => PreviewCouponInput, { description: 'The code and the contract.' })
    input: PreviewCouponInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<OrderPreview> {
    return previewFlow(ctx, redemption, input);
  }

  @Mutation(() => ApplyCouponPayload, {
    description:
      'Redeems a coupon code on a contract through a change order; an invalid code fails with BAD_USER_INPUT and extensions.billwerkErrorCode (e.g. InvalidCouponCode).',
  })
  async applyCoupon(
    @Arg('input', () => ApplyCouponInput, { description: 'The redemption.' }) input: ApplyCouponInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ApplyCouponPayload> {
    const { value, replayed } = await runFlow(ctx, redemption, input);
    return ApplyCouponPayload.from(value, replayed);
  }
}
