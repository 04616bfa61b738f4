// Root fields contract/contracts and the Contract relations: customer, plan variant, components,
// discounts, cancellation preview, change history, invoices and usage.
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { Contract as ContractDto } from '../../billwerk/dto.js';
import { cancellationKey } from '../../loaders/loaders.js';
import { CancellationPreview } from '../types/cancellation-preview.type.js';
import { ComponentSubscription } from '../types/component-subscription.type.js';
import { connectionPage, type ConnectionShape } from '../relay/connection.js';
import { type GraphQLContext } from '../context.js';
import { ContractChange } from '../types/contract-change.type.js';
import { Contract, ContractConnection, ContractPhase, ContractStatus } from '../types/contract.type.js';
import { Customer } from '../types/customer.type.js';
import { DiscountSubscription } from '../types/discount.type.js';
import { Invoice, InvoiceConnection } from '../types/invoice.type.js';
import { billwerkIdOf, optionalBillwerkIdOf } from '../relay/node.js';
import { PlanVariant } from '../types/plan-variant.type.js';
import { Plan } from '../types/plan.type.js';
import { found } from '../resolve.js';
import { DateTime } from '../types/scalars.js';
import { UsageRecord } from '../types/usage-record.type.js';

@Resolver(() => Contract)
export class ContractResolver {
  @Query(() => Contract, { nullable: true, description: 'One contract, by global id or billwerk id.' })
  async contract(
    @Arg('id', () => ID, { description: 'Global id or billwerk id.' }) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Contract> {
    const billwerkId = billwerkIdOf('Contract', id);
    const dto = found(await ctx.loaders.contract.load(billwerkId), 'Contract', billwerkId);
    await ctx.access.assertOwner(dto.CustomerId, 'Contract', billwerkId);
    return Contract.from(dto);
  }

  @Query(() => ContractConnection, {
    description: 'Contracts, newest first; of one customer, in one status.',
  })
  contracts(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' })
    first?: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor to continue after.' }) after?: string,
    @Arg('customerId', () => ID, { nullable: true, description: 'Only contracts of this customer.' })
    customerId?: string,
    @Arg('status', () => ContractStatus, { nullable: true, description: 'Only contracts in this status.' })
    status?: ContractStatus,
  ): Promise<ConnectionShape<Contract>> {
    const { source, keep } = ctx.access.contracts(optionalBillwerkIdOf('Customer', customerId, 'customerId'));
    // billwerk has no status filter, so the status is matched here while walking its pages.
    const byStatus = status ? (dto: ContractDto) => Contract.from(dto).status === status : undefined;
    return connectionPage(
      source,
      { first, after },
      (dto) => Contract.from(dto),
      keep && byStatus ? async (dto) => byStatus(dto) && (await keep(dto)) : (keep ?? byStatus),
    );
  }

  @FieldResolver(() => Customer, { nullable: true, description: 'The customer who owns the contract.' })
  async customer(@Root() contract: Contract, @Ctx() ctx: GraphQLContext): Promise<Customer> {
    const dto = await ctx.loaders.customer.load(contract.customerId);
    return Customer.from(found(dto, 'Customer', contract.customerId));
  }

  @FieldResolver(() => PlanVariant, { nullable: true, description: 'The plan variant booked now.' })
  async planVariant(@Root() contract: Contract, @Ctx() ctx: GraphQLContext): Promise<PlanVariant | null> {
    if (!contract.planVariantId) return null;
    const dto = await ctx.loaders.planVariant.load(contract.planVariantId);
    return PlanVariant.from(found(dto, 'PlanVariant', contract.planVariantId));
  }

  @FieldResolver(() => Plan, { nullable: true, description: 'The plan booked now.' })
  async plan(@Root() contract: Contract, @Ctx() ctx: GraphQLContext): Promise<Plan | null> {
    let planId = contract.planId;
    if (!planId && contract.planVariantId) {
      planId = (await ctx.loaders.planVariant.load(contract.planVariantId))?.PlanId ?? null;
    }
    if (!planId) return null;
    return Plan.from(found(await ctx.loaders.plan.load(planId), 'Plan', planId));
  }

  @FieldResolver(() => [ComponentSubscription], { description: 'Components booked on the contract.' })
  async componentSubscriptions(
    @Root() contract: Contract,
    @Ctx() ctx: GraphQLContext,
    @Arg('includeEnded', () => Boolean, { defaultValue: false, description: 'Also those that have ended.' })
    includeEnded: boolean,
  ): Promise<ComponentSubscription[]> {
    const all = (await ctx.loaders.componentSubscriptionsOfContract.load(contract.billwerkId)).map((dto) =>
      ComponentSubscription.from(dto),
    );
    const now = Date.now();
    return includeEnded ? all : all.filter((sub) => !sub.endDate || sub.endDate.getTime() > now);
  }

  @FieldResolver(() => [DiscountSubscription], { description: 'Discounts applied to the contract.' })
  async discountSubscriptions(
    @Root() contract: Contract,
    @Ctx() ctx: GraphQLContext,
  ): Promise<DiscountSubscription[]> {
    return (await ctx.loaders.discountSubscriptionsOfContract.load(contract.billwerkId)).map((dto) =>
      DiscountSubscription.from(dto),
    );
  }

  @FieldResolver(() => CancellationPreview, {
    nullable: true,
    description: 'What terminating with notice would do if requested at `at` (default now). Changes nothing.',
  })
  async cancellationPreview(
    @Root() contract: Contract,
    @Ctx() ctx: GraphQLContext,
    @Arg('at', () => DateTime, { nullable: true, description: 'Moment of the cancellation request.' })
    at?: Date,
  ): Promise<CancellationPreview> {
    const dto = await ctx.loaders.cancellationPreview.load(
      cancellationKey(contract.billwerkId, at?.toISOString()),
    );
    return CancellationPreview.from(dto);
  }

  @FieldResolver(() => [ContractChange], {
    description: 'Every recorded change of the contract, oldest first.',
  })
  async changes(@Root() contract: Contract, @Ctx() ctx: GraphQLContext): Promise<ContractChange[]> {
    const changes = (await ctx.loaders.changesOfContract.load(contract.billwerkId)).map((dto) =>
      ContractChange.from(dto),
    );
    return changes.sort((a, b) => (a.timestamp?.getTime() ?? 0) - (b.timestamp?.getTime() ?? 0));
  }

  @FieldResolver(() => InvoiceConnection, { description: 'Invoices and credit notes of this contract.' })
  invoices(
    @Root() contract: Contract,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' })
    first?: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor to continue after.' }) after?: string,
  ): Promise<ConnectionShape<Invoice>> {
    return connectionPage(ctx.pages.invoices({ contractId: contract.billwerkId }), { first, after }, (dto) =>
      Invoice.from(dto),
    );
  }

  @FieldResolver(() => [UsageRecord], { description: 'Metered usage reported for the contract.' })
  async usage(@Root() contract: Contract, @Ctx() ctx: GraphQLContext): Promise<UsageRecord[]> {
    return (await ctx.loaders.usageOfContract.load(contract.billwerkId)).map((dto) => UsageRecord.from(dto));
  }
}

@Resolver(() => ContractPhase)
export class ContractPhaseResolver {
  @FieldResolver(() => PlanVariant, { nullable: true, description: 'The plan variant booked in this phase.' })
  async planVariant(@Root() phase: ContractPhase, @Ctx() ctx: GraphQLContext): Promise<PlanVariant | null> {
    if (!phase.planVariantId) return null;
    const dto = await ctx.loaders.planVariant.load(phase.planVariantId);
    return PlanVariant.from(found(dto, 'PlanVariant', phase.planVariantId));
  }
}
