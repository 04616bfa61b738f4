// The typed client for the gateway: graphql-request with the typed documents generated from
// sdk/operations, so every variable and result field is checked by TypeScript.
import { type TypedDocumentNode } from '@graphql-typed-document-node/core';
import { GraphQLClient, type RequestOptions } from 'graphql-request';

export * from './generated/graphql.js';
/** @public graphql-request's error, which SDK users catch to read a response's GraphQL errors. */
export { ClientError } from 'graphql-request';

export interface GatewayClientOptions {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** Extra headers on every request, e.g. `{ authorization: 'Bearer …' }`. @default none */
  headers?: Record<string, string>;
}

export interface GatewayClient {
  /** Runs one typed operation; rejects with graphql-request's ClientError when the answer has errors. */
  request<TResult, TVariables extends object>(
    document: TypedDocumentNode<TResult, TVariables>,
    // Variables may be left out exactly when the operation has no required ones.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    ...variables: {} extends TVariables ? [variables?: TVariables] : [variables: TVariables]
  ): Promise<TResult>;
  /** The underlying graphql-request client, for raw strings and custom headers per call. */
  readonly raw: GraphQLClient;
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const raw = new GraphQLClient(options.url, { headers: options.headers });
  return {
    raw,
    request: (document, ...variables) =>
      raw.request({ document, variables: variables[0] } as RequestOptions<object, never>),
  };
}
export * from './resumable.js';
