// What a contract change points at: the contract that changed and the plan variant it moved to.
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { type GraphQLContext } from '../context.js';
import { ContractChange } from '../types/contract-change.type.js';
import { Contract } from '../types/contract.type.js';
import { PlanVariant } from '../types/plan-variant.type.js';
import { found } from '../resolve.js';

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
