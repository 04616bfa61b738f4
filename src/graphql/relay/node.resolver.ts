// Root field node(id:): fetches any entity by its global id (Relay object identification).
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Component } from '../types/component.type.js';
import { type GraphQLContext } from '../context.js';
import { ContractChange } from '../types/contract-change.type.js';
import { Contract } from '../types/contract.type.js';
import { Customer } from '../types/customer.type.js';
import { Coupon, Discount } from '../types/discount.type.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { Invoice } from '../types/invoice.type.js';
import { fromGlobalId, Node, type NodeType } from './node.js';
import { PlanGroup } from '../types/plan-group.type.js';
import { PlanVariant } from '../types/plan-variant.type.js';
import { Plan } from '../types/plan.type.js';
import { found } from '../resolve.js';

function assertNever(value: never): never {
  throw new Error(`unhandled node type ${String(value)}`);
}

async function load(ctx: GraphQLContext, type: NodeType, id: string): Promise<Node> {
  const l = ctx.loaders;
  switch (type) {
    case 'Customer': {
      const dto = found(await l.customer.load(id), type, id);
      await ctx.access.assertOwner(dto.Id, type, id);
      return Customer.from(dto);
    }
    case 'Contract': {
      const dto = found(await l.contract.load(id), type, id);
      await ctx.access.assertOwner(dto.CustomerId, type, id);
      return Contract.from(dto);
    }
    case 'ContractChange': {
      const dto = found(await l.contractChange.load(id), type, id);
      const contract = found(await l.contract.load(dto.ContractId), type, id);
      await ctx.access.assertOwner(contract.CustomerId, type, id);
      return ContractChange.from(dto);
    }
    case 'Invoice': {
      const dto = found(await l.invoice.load(id), type, id);
      await ctx.access.assertOwner(dto.CustomerId, type, id);
      return Invoice.from(dto);
    }
    case 'PlanGroup':
      return PlanGroup.from(found(await l.planGroup.load(id), type, id));
    case 'Plan':
      return Plan.from(found(await l.plan.load(id), type, id));
    case 'PlanVariant':
      return PlanVariant.from(found(await l.planVariant.load(id), type, id));
    case 'Component':
      return Component.from(found(await l.component.load(id), type, id));
    case 'Discount':
      return Discount.from(found(await l.discount.load(id), type, id));
    case 'Coupon':
      return Coupon.from(found(await l.coupon.load(id), type, id));
    default:
      return assertNever(type);
  }
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description: 'Any entity by its global id (`gid://billwerk/<Type>/<id>`).',
  })
  node(
    @Arg('id', () => ID, { description: 'Global id or billwerk id.' }) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Node> {
    const global = fromGlobalId(id);
    if (!global) {
      throw new GatewayError(
        ErrorCode.BAD_USER_INPUT,
        'id is not a global id (gid://billwerk/<Type>/<id>).',
        {
          argument: 'id',
        },
      );
    }
    return load(ctx, global.type, global.id);
  }
}
