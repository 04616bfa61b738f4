// Root fields invoice/invoices and the Invoice relations (customer, contract).
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { connectionPage, type ConnectionShape } from '../relay/connection.js';
import { type GraphQLContext } from '../context.js';
import { Contract } from '../types/contract.type.js';
import { Customer } from '../types/customer.type.js';
import { Invoice, InvoiceConnection } from '../types/invoice.type.js';
import { billwerkIdOf, optionalBillwerkIdOf } from '../relay/node.js';
import { found } from '../resolve.js';

@Resolver(() => Invoice)
export class InvoiceResolver {
  @Query(() => Invoice, { nullable: true, description: 'One invoice, by global id or billwerk id.' })
  async invoice(
    @Arg('id', () => ID, { description: 'Global id or billwerk id.' }) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Invoice> {
    const billwerkId = billwerkIdOf('Invoice', id);
    const dto = found(await ctx.loaders.invoice.load(billwerkId), 'Invoice', billwerkId);
    await ctx.access.assertOwner(dto.CustomerId, 'Invoice', billwerkId);
    return Invoice.from(dto);
  }

  @Query(() => InvoiceConnection, {
    description: 'Invoices and credit notes, newest first; of one customer or contract.',
  })
  async invoices(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' })
    first?: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor to continue after.' }) after?: string,
    @Arg('customerId', () => ID, { nullable: true, description: 'Only invoices of this customer.' })
    customerId?: string,
    @Arg('contractId', () => ID, { nullable: true, description: 'Only invoices of this contract.' })
    contractId?: string,
  ): Promise<ConnectionShape<Invoice>> {
    const filter = {
      customerId: optionalBillwerkIdOf('Customer', customerId, 'customerId'),
      contractId: optionalBillwerkIdOf('Contract', contractId, 'contractId'),
    };
    const { source, keep } = await ctx.access.invoices(filter);
    return connectionPage(source, { first, after }, (dto) => Invoice.from(dto), keep);
  }

  @FieldResolver(() => Customer, { nullable: true, description: 'The invoiced customer.' })
  async customer(@Root() invoice: Invoice, @Ctx() ctx: GraphQLContext): Promise<Customer> {
    return Customer.from(
      found(await ctx.loaders.customer.load(invoice.customerId), 'Customer', invoice.customerId),
    );
  }

  @FieldResolver(() => Contract, {
    nullable: true,
    description: 'The contract billed, if the invoice is for one.',
  })
  async contract(@Root() invoice: Invoice, @Ctx() ctx: GraphQLContext): Promise<Contract | null> {
    if (!invoice.contractId) return null;
    return Contract.from(
      found(await ctx.loaders.contract.load(invoice.contractId), 'Contract', invoice.contractId),
    );
  }
}
