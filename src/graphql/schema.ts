// Builds the executable schema from the type-graphql classes; also what `npm run schema` prints.
import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import {
  ComponentResolver,
  PlanGroupResolver,
  PlanResolver,
  PlanVariantResolver,
} from './catalogue.resolver.js';
import { ContractPhaseResolver, ContractResolver } from './contract.resolver.js';
import { CustomerResolver } from './customer.resolver.js';
import { InvoiceResolver } from './invoice.resolver.js';
import { NodeResolver } from './node.resolver.js';
import {
  ComponentSubscriptionResolver,
  ContractChangeResolver,
  CouponResolver,
  DiscountSubscriptionResolver,
  UsageRecordResolver,
} from './relations.resolver.js';
import { DateTime, JSONObject } from './scalars.js';

export const RESOLVERS = [
  CustomerResolver,
  ContractResolver,
  ContractPhaseResolver,
  PlanGroupResolver,
  PlanResolver,
  PlanVariantResolver,
  ComponentResolver,
  InvoiceResolver,
  ComponentSubscriptionResolver,
  UsageRecordResolver,
  DiscountSubscriptionResolver,
  CouponResolver,
  ContractChangeResolver,
  NodeResolver,
] as const;

export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [...RESOLVERS],
    scalarsMap: [
      { type: Date, scalar: DateTime },
      { type: Object, scalar: JSONObject },
    ],
    validate: false,
  });
  // type-graphql offers no option for the root types' descriptions.
  const query = schema.getQueryType();
  if (query) query.description = 'Reads of billwerk customers, contracts, catalogue and invoices.';
  return schema;
}

/** The SDL committed as schema/schema.graphql: sorted, so diffs show real changes only. */
export function printGatewaySchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
