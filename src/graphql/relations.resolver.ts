// Relations of the small value types: what a component subscription, discount subscription, coupon,
// usage record or contract change points at, each resolved lazily through the loaders.
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { ComponentSubscription } from './types/component-subscription.type.js';
import { Component } from './types/component.type.js';
import { type GraphQLContext } from './context.js';
import { ContractChange } from './types/contract-change.type.js';
import { Contract } from './types/contract.type.js';
import { Coupon, Discount, DiscountSubscription } from './types/discount.type.js';
import { Invoice } from './types/invoice.type.js';
import { PlanVariant } from './types/plan-variant.type.js';
import { found } from './resolve.js';
import { UsageRecord } from './types/usage-record.type.js';

async function component(ctx: GraphQLContext, id: string): Promise<Component> {
  return Component.from(found(await ctx.loaders.component.load(id), 'Component', id));
}

async function discount(ctx: GraphQLContext, id: string): Promise<Discount> {
  return Discount.from(found(await ctx.loaders.discount.load(id), 'Discount', id));
}

@Resolver(() => ComponentSubscription)
export class ComponentSubscriptionResolver {
  @FieldResolver(() => Component, { nullable: true, description: 'The booked component.' })
  component(@Root() sub: ComponentSubscription, @Ctx() ctx: GraphQLContext): Promise<Component> {
    return component(ctx, sub.componentId);
  }
}

@Resolver(() => UsageRecord)
export class UsageRecordResolver {
  @FieldResolver(() => Component, { nullable: true, description: 'The metered component used.' })
  component(@Root() usage: UsageRecord, @Ctx() ctx: GraphQLContext): Promise<Component> {
    return component(ctx, usage.componentId);
  }

  @FieldResolver(() => Invoice, { nullable: true, description: 'The invoice that billed it, once billed.' })
  async invoice(@Root() usage: UsageRecord, @Ctx() ctx: GraphQLContext): Promise<Invoice | null> {
    if (!usage.billedInvoiceId) return null;
    const dto = await ctx.loaders.invoice.load(usage.billedInvoiceId);
    return Invoice.from(found(dto, 'Invoice', usage.billedInvoiceId));
  }
}

@Resolver(() => DiscountSubscription)
export class DiscountSubscriptionResolver {
  @FieldResolver(() => Discount, { nullable: true, description: 'The discount applied.' })
  discount(@Root() sub: DiscountSubscription, @Ctx() ctx: GraphQLContext): Promise<Discount> {
    return discount(ctx, sub.discountId);
  }

  @FieldResolver(() => Coupon, { nullable: true, description: 'The coupon that granted it, if any.' })
  async coupon(@Root() sub: DiscountSubscription, @Ctx() ctx: GraphQLContext): Promise<Coupon | null> {
    if (!sub.couponId) return null;
    return Coupon.from(found(await ctx.loaders.coupon.load(sub.couponId), 'Coupon', sub.couponId));
  }
}

@Resolver(() => Coupon)
export class CouponResolver {
  @FieldResolver(() => Discount, { nullable: true, description: 'The discount the coupon grants.' })
  discount(@Root() coupon: Coupon, @Ctx() ctx: GraphQLContext): Promise<Discount> {
    return discount(ctx, coupon.discountId);
  }
}

@Resolver(() => ContractChange)
export class ContractChangeResolver {
  @FieldResolver(() => Contract, { nullable: true, description: 'The contract that changed.' })
  async contract(@Root() change: ContractChange, @Ctx() ctx: GraphQLContext): Promise<Contract> {
    return Contract.from(
      found(await ctx.loaders.contract.load(change.contractId), 'Contract', change.contractId),
    );
  }

  @FieldResolver(() => PlanVariant, {
    nullable: true,
    description: 'The plan variant the change moved to, if any.',
  })
  async newPlanVariant(
    @Root() change: ContractChange,
    @Ctx() ctx: GraphQLContext,
  ): Promise<PlanVariant | null> {
    if (!change.newPlanVariantId) return null;
    const dto = await ctx.loaders.planVariant.load(change.newPlanVariantId);
    return PlanVariant.from(found(dto, 'PlanVariant', change.newPlanVariantId));
  }
}
