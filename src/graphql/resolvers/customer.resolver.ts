// Root fields customer/customers and the Customer relations (contracts, invoices).
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { connectionPage, type ConnectionShape } from '../relay/connection.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { type GraphQLContext } from '../context.js';
import { Contract, ContractStatus } from '../types/contract.type.js';
import { Customer, CustomerConnection } from '../types/customer.type.js';
import { Invoice, InvoiceConnection } from '../types/invoice.type.js';
import { billwerkIdOf } from '../relay/node.js';
import { found } from '../resolve.js';
import { MAX_SEARCH_LENGTH } from '../../billwerk/id.js';

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: 'One customer, by global id or billwerk id.' })
  async customer(
    @Arg('id', () => ID, { description: 'Global id or billwerk id.' }) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Customer> {
    const billwerkId = billwerkIdOf('Customer', id);
    const dto = found(await ctx.loaders.customer.load(billwerkId), 'Customer', billwerkId);
    await ctx.access.assertOwner(dto.Id, 'Customer', billwerkId);
    return Customer.from(dto);
  }

  @Query(() => CustomerConnection, {
    description:
      "Customers, newest first, optionally matching a search text; only those in the caller's scope.",
  })
  customers(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' })
    first?: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor to continue after.' }) after?: string,
    @Arg('search', () => String, {
      nullable: true,
      description: `billwerk's full-text customer search, at most ${MAX_SEARCH_LENGTH} characters.`,
    })
    search?: string,
  ): Promise<ConnectionShape<Customer>> {
    // The text travels to billwerk only as an encoded query value; its length is bounded here so a huge
    // search is refused before it costs a call (billwerk answers 431 to an oversized request line).
    if (search !== undefined && search !== null && search.length > MAX_SEARCH_LENGTH) {
      throw new GatewayError(
        ErrorCode.BAD_USER_INPUT,
        `search is longer than ${MAX_SEARCH_LENGTH} characters.`,
        {
          argument: 'search',
        },
      );
    }
    const { source, keep } = ctx.access.customers(search ?? undefined);
    return connectionPage(source, { first, after }, (dto) => Customer.from(dto), keep);
  }

  @FieldResolver(() => [Contract], {
    description: "The customer's contracts, optionally only those in one status.",
  })
  async contracts(
    @Root() customer: Customer,
    @Ctx() ctx: GraphQLContext,
    @Arg('status', () => ContractStatus, { nullable: true, description: 'Only contracts in this status.' })
    status?: ContractStatus,
  ): Promise<Contract[]> {
    const contracts = (await ctx.loaders.contractsOfCustomer.load(customer.billwerkId)).map((dto) =>
      Contract.from(dto),
    );
    return status ? contracts.filter((contract) => contract.status === status) : contracts;
  }

  @FieldResolver(() => InvoiceConnection, { description: "The customer's invoices and credit notes." })
  invoices(
    @Root() customer: Customer,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20).' })
    first?: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor to continue after.' }) after?: string,
  ): Promise<ConnectionShape<Invoice>> {
    return connectionPage(ctx.pages.invoices({ customerId: customer.billwerkId }), { first, after }, (dto) =>
      Invoice.from(dto),
    );
  }
}
