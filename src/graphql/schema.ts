// Builds the executable schema from the type-graphql classes; also what `npm run schema` prints.
import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { authChecker, guardMutations } from './auth.checker.js';
import { EventDestinationMutation } from './mutations/event-destination.mutation.js';
import { ComponentChangeMutation } from './mutations/component-change.mutation.js';
import { CouponMutation } from './mutations/coupon.mutation.js';
import { ReplayWebhookEventsMutation } from './mutations/replay-webhook-events.mutation.js';
import { PlanChangeMutation } from './mutations/plan-change.mutation.js';
import { NodeResolver } from './relay/node.resolver.js';
import { BillwerkEventResolver } from './resolvers/billwerk-event.resolver.js';
import { ComponentSubscriptionResolver } from './resolvers/component-subscription.resolver.js';
import { ComponentResolver } from './resolvers/component.resolver.js';
import { ContractChangeResolver } from './resolvers/contract-change.resolver.js';
import { ContractPhaseResolver, ContractResolver } from './resolvers/contract.resolver.js';
import { CustomerResolver } from './resolvers/customer.resolver.js';
import { CouponResolver, DiscountSubscriptionResolver } from './resolvers/discount.resolver.js';
import { EventDestinationResolver } from './resolvers/event-destination.resolver.js';
import { InvoiceResolver } from './resolvers/invoice.resolver.js';
import { CouponResultResolver } from './resolvers/order.resolver.js';
import { PlanGroupResolver } from './resolvers/plan-group.resolver.js';
import { PlanVariantResolver } from './resolvers/plan-variant.resolver.js';
import { PlanResolver } from './resolvers/plan.resolver.js';
import { SupersededChangeResolver } from './resolvers/superseded-change.resolver.js';
import { UsageRecordResolver } from './resolvers/usage-record.resolver.js';
import { WebhookEventResolver } from './resolvers/webhook-event.resolver.js';
import { SignupMutation } from './mutations/signup.mutation.js';
import { TerminationMutation } from './mutations/termination.mutation.js';
import { DateTime, JSONObject } from './types/scalars.js';
import { UsageMutation } from './mutations/usage.mutation.js';

export const RESOLVERS = [
  // Object types: root queries and subscriptions, and field resolvers (resolvers/, relay/).
  CustomerResolver,
  ContractResolver,
  ContractPhaseResolver,
  ContractChangeResolver,
  InvoiceResolver,
  PlanGroupResolver,
  PlanResolver,
  PlanVariantResolver,
  ComponentResolver,
  ComponentSubscriptionResolver,
  UsageRecordResolver,
  DiscountSubscriptionResolver,
  CouponResolver,
  CouponResultResolver,
  NodeResolver,
  BillwerkEventResolver,
  WebhookEventResolver,
  SupersededChangeResolver,
  EventDestinationResolver,
  // Mutations and their previews (mutations/).
  SignupMutation,
  PlanChangeMutation,
  ComponentChangeMutation,
  TerminationMutation,
  UsageMutation,
  CouponMutation,
  ReplayWebhookEventsMutation,
  EventDestinationMutation,
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
