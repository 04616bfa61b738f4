// Builds the executable schema from the type-graphql classes; also what `npm run schema` prints.
import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import {
  ComponentResolver,
  PlanGroupResolver,
  PlanResolver,
  PlanVariantResolver,
} from './catalogue.resolver.js';
import { ContractPhaseResolver, ContractResolver } from './contract.resolver.js';
import { authChecker, guardMutations } from './auth.checker.js';
import { ComponentChangeResolver } from './component-change.resolver.js';
import { CouponRedemptionResolver } from './coupon.resolver.js';
import { CustomerResolver } from './customer.resolver.js';
import { EventDestinationResolver, WebhookEventDeliveriesResolver } from './event-destination.resolver.js';
import { EventResolver } from './event.resolver.js';
import { InvoiceResolver } from './invoice.resolver.js';
import { OperatorLogResolver } from './operator-log.resolver.js';
import { NodeResolver } from './relay/node.resolver.js';
import { PlanChangeResolver } from './plan-change.resolver.js';
import {
  ComponentSubscriptionResolver,
  ContractChangeResolver,
  CouponResolver,
  DiscountSubscriptionResolver,
  UsageRecordResolver,
} from './relations.resolver.js';
import { DateTime, JSONObject } from './types/scalars.js';
import { SignupResolver } from './signup.resolver.js';
import { TerminationResolver } from './termination.resolver.js';
import { UsageResolver } from './usage.resolver.js';

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
  EventResolver,
  OperatorLogResolver,
  EventDestinationResolver,
  WebhookEventDeliveriesResolver,
  SignupResolver,
  PlanChangeResolver,
  ComponentChangeResolver,
  TerminationResolver,
  UsageResolver,
  CouponRedemptionResolver,
] as const;

export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [...RESOLVERS],
    scalarsMap: [
      { type: Date, scalar: DateTime },
      { type: Object, scalar: JSONObject },
    ],
    validate: false,
    authChecker,
    // Required by type-graphql for any subscription; ours bring their own `subscribe`, so it stays unused.
    pubSub: createPubSub(),
  });
  // type-graphql offers no option for the root types' descriptions.
  const query = schema.getQueryType();
  if (query) query.description = 'Reads of billwerk customers, contracts, catalogue and invoices.';
  const mutation = schema.getMutationType();
  if (mutation) {
    mutation.description =
      'Changes in billwerk, each idempotent (idempotencyKey or the Idempotency-Key header); their preview… twins are queries.';
  }
  guardMutations(schema);
  const subscription = schema.getSubscriptionType();
  if (subscription) subscription.description = 'Live billwerk events over graphql-ws, resumable by cursor.';
  return schema;
}

/** The SDL committed as schema/schema.graphql: sorted, so diffs show real changes only. */
export function printGatewaySchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
