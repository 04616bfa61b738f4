// The browser IDE at /graphql: Apollo's embedded Sandbox in development, opened on an example operation;
// in production only the default production landing page (no explorer).
import { type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';

/** What a newcomer sees first: a page of contracts with their customers, plan variants and prices. */
export const EXAMPLE_OPERATION = `# Contracts with their customers and plans. Try customer(id:), invoices, node(id:), the mutations
# (signup, changePlan, terminateContract …) and subscriptions (contractChanged, billwerkEvents).
query ContractsPage {
  contracts(first: 10) {
    edges {
      cursor
      node {
        id
        status
        startDate
        customer { displayName emailAddress }
        planVariant { name recurringFee { amount currency } plan { name } }
        cancellationPreview { endDate nextPossibleCancellationDate }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export function landingPage(production: boolean): ApolloServerPlugin {
  return production
    ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
    : ApolloServerPluginLandingPageLocalDefault({
        document: EXAMPLE_OPERATION,
        footer: false,
        includeCookies: false,
      });
}
