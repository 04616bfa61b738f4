// The page's way to the gateway: typed operations over HTTP (the SDK's generated documents) and the live
// feed over graphql-ws, both on this origin and sending the key as a Bearer token.
import { type TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';

export class GatewayError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const printed = new WeakMap<object, string>();
const source = <R, V>(document: TypedDocumentNode<R, V>): string => {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
};

export interface Gateway {
  request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): Promise<R>;
  /** Calls `next` for each result until the returned function is called; resubscribes after drops. */
  subscribe<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    next: (data: R) => void,
  ): () => void;
  readonly socket: Client;
}

export interface GatewayOptions {
  key: string;
  onSocketState(state: 'connecting' | 'connected' | 'closed'): void;
}

export function connectGateway(options: GatewayOptions): Gateway {
  const authorization = `Bearer ${options.key}`;
  const socket = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: { authorization },
    // Connects on the first subscription, once the key has been accepted over HTTP.
    lazy: true,
    retryAttempts: Infinity,
    on: {
      connecting: () => options.onSocketState('connecting'),
      connected: () => options.onSocketState('connected'),
      closed: () => options.onSocketState('closed'),
    },
  });

  async function request<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
  ): Promise<R> {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: source(document), variables }),
    });
    const body = (await response.json()) as GraphQLResponse<R>;
    const error = body.errors?.[0];
    if (error) throw new GatewayError(error.message, error.extensions?.code);
    if (!body.data) throw new GatewayError(`the gateway answered ${response.status} without data`, undefined);
    return body.data;
  }

  function subscribe<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    next: (data: R) => void,
  ): () => void {
    return socket.subscribe<R>(
      { query: source(document), variables },
      {
        next: (result) => {
          if (result.data) next(result.data);
        },
        error: (error) => console.error('subscription ended', error),
        complete: () => undefined,
      },
    );
  }

  return { socket, request, subscribe };
}
