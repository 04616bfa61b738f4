// The two transports the self-resuming subscriber runs over: graphql-ws (a WebSocket at /graphql) and
// GraphQL over Server-Sent Events (graphql-sse, one HTTP request per subscription at /graphql/stream, for
// networks and runtimes without WebSockets). Neither client retries by itself: the subscriber resubscribes
// with its latest cursor, so each transport only says which of its errors are final.
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { createClient as createSseClient, NetworkError } from 'graphql-sse';

export type ConnectionStatus = 'connecting' | 'connected' | 'closed';

export interface SubscriptionSink {
  next(result: { data?: unknown; errors?: readonly unknown[] }): void;
  error(error: unknown): void;
  complete(): void;
}

export interface Transport {
  subscribe(
    request: { query: string; variables: Record<string, unknown> },
    sink: SubscriptionSink,
  ): () => void;
  /** Whether resubscribing cannot help: the gateway refused the request or the caller. */
  isFinal(error: unknown): boolean;
  dispose(): Promise<void>;
}

export interface TransportOptions {
  url: string;
  authorization?: string | (() => string | Promise<string>);
  webSocketImpl?: unknown;
  keepAliveMs: number;
  pongTimeoutMs: number;
  onStatus?: (status: ConnectionStatus) => void;
}

const authorizationOf = async (options: TransportOptions): Promise<string | undefined> => {
  const { authorization } = options;
  return typeof authorization === 'function' ? await authorization() : authorization;
};

/**
 * Close codes after which resubscribing cannot help: the gateway refused the request or the caller
 * (graphql-ws's 4400 bad request, 4401 unauthorized, 4403 forbidden or expired credentials, 4406
 * subprotocol, 4409 duplicate id, 4429 too many initialisations; 1002/1003 protocol errors).
 */
const FINAL_CLOSE_CODES = new Set([1002, 1003, 4400, 4401, 4403, 4406, 4409, 4429]);

const closeCodeOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
    ? (error as { code: number }).code
    : undefined;

export function wsTransport(options: TransportOptions): Transport {
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  const client: WsClient = createWsClient({
    url: options.url.replace(/^http/, 'ws'),
    webSocketImpl: options.webSocketImpl,
    lazy: true,
    retryAttempts: 0,
    keepAlive: options.keepAliveMs,
    connectionParams: async () => {
      const authorization = await authorizationOf(options);
      return authorization === undefined ? {} : { authorization };
    },
    on: {
      connecting: () => options.onStatus?.('connecting'),
      connected: () => options.onStatus?.('connected'),
      closed: () => {
        clearTimeout(pongTimer);
        options.onStatus?.('closed');
      },
      // A socket that stops answering pings is ended, which resubscribes like any other drop.
      ping: (received) => {
        if (!received) pongTimer = setTimeout(() => client.terminate(), options.pongTimeoutMs);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
    },
  });
  return {
    subscribe: (request, sink) => client.subscribe(request, sink),
    isFinal: (error) => Array.isArray(error) || FINAL_CLOSE_CODES.has(closeCodeOf(error) ?? 0),
    async dispose() {
      clearTimeout(pongTimer);
      await client.dispose();
    },
  };
}

/** HTTP statuses after which resubscribing cannot help (a malformed or unauthorised request). */
const FINAL_STATUSES = new Set([400, 401, 403, 404, 405, 406, 413, 415]);

export function sseTransport(options: TransportOptions): Transport {
  const client = createSseClient({
    // The gateway serves GraphQL over SSE beside its GraphQL endpoint, at /graphql/stream.
    url: `${options.url.replace(/^ws/, 'http').replace(/\/+$/, '')}/stream`,
    headers: async (): Promise<Record<string, string>> => {
      const authorization = await authorizationOf(options);
      return authorization === undefined ? {} : { authorization };
    },
    retryAttempts: 0,
    on: {
      connecting: () => options.onStatus?.('connecting'),
      connected: () => options.onStatus?.('connected'),
    },
  });
  return {
    subscribe: (request, sink) =>
      client.subscribe(request, {
        next: (result) => sink.next(result),
        error: (error) => {
          options.onStatus?.('closed');
          sink.error(error);
        },
        complete: () => {
          options.onStatus?.('closed');
          sink.complete();
        },
      }),
    isFinal: (error) =>
      Array.isArray(error) ||
      (error instanceof NetworkError &&
        FINAL_STATUSES.has((error.response as Response | undefined)?.status ?? 0)),
    dispose: () => Promise.resolve(client.dispose()),
  };
}
