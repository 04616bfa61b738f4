// What a usage record points at: the metered component and, once billed, its invoice.
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Component } from '../types/component.type.js';
import { type GraphQLContext } from '../context.js';
import { Invoice } from '../types/invoice.type.js';
import { found, componentOf } from '../resolve.js';
import { UsageRecord } from '../types/usage-record.type.js';

@Resolver(() => UsageRecord)
export class UsageRecordResolver {
  @FieldResolver(() => Component, { nullable: true, description: 'The metered component used.' })
  component(@Root() usage: UsageRecord, @Ctx() ctx: GraphQLContext): Promise<Component> {
    return componentOf(ctx, usage.componentId);
  }

  @FieldResolver(() => Invoice, { nullable: true, description: 'The invoice that billed it, once billed.' })
  async invoice(@Root() usage: UsageRecord, @Ctx() ctx: GraphQLContext): Promise<Invoice | null> {
    if (!usage.billedInvoiceId) return null;
    const dto = await ctx.loaders.invoice.load(usage.billedInvoiceId);
    return Invoice.from(found(dto, 'Invoice', usage.billedInvoiceId));
  }
}
