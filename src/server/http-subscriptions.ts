// Subscriptions live on graphql-ws only. Over HTTP, Apollo would run a subscription's root field as if it
// were a query, which fails inside the resolver (an INTERNAL_SERVER_ERROR); this plugin answers it as the
// caller's mistake instead, before anything runs, and says where subscriptions are served.
import { type ApolloServerPlugin, type BaseContext, type GraphQLRequestListener } from '@apollo/server';
import { OperationTypeNode } from 'graphql';
import { ErrorCode, GatewayError, toGraphQLError } from '../graphql/errors.js';

export const subscriptionOverHttp = () =>
  new GatewayError(
    ErrorCode.BAD_REQUEST,
    'Subscriptions are served over WebSocket with graphql-ws (protocol graphql-transport-ws) at ws://<host>/graphql (wss:// behind TLS), not over HTTP.',
  );

const listener: GraphQLRequestListener<BaseContext> = {
  didResolveOperation({ operation }) {
    if (operation?.operation === OperationTypeNode.SUBSCRIPTION) throw toGraphQLError(subscriptionOverHttp());
    return Promise.resolve();
  },
};

/** Refuses a subscription sent over HTTP with 400 and BAD_REQUEST. */
export const httpSubscriptionsPlugin: ApolloServerPlugin = {
  requestDidStart: () => Promise.resolve(listener),
};
