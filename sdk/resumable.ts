// Subscriptions that survive network drops and gateway restarts: each remembers the cursor of the last
// event its handler finished, and (re)subscribes with `after` set to it, so the handler sees every event
// once and in order without code of its own.
// Runs over graphql-ws (a WebSocket) or GraphQL over Server-Sent Events (graphql-sse), by option.
//
// The clients' own retries re-send the original request, with the `after` it started from, which would
// replay events already handled. So the client here never retries by itself; each subscription
// resubscribes with its latest cursor, after its handler has finished the events already received.
import { type TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type ConnectionStatus, sseTransport, type Transport, wsTransport } from './transports.js';

export { type ConnectionStatus } from './transports.js';

/** Where cursors are kept. Persist them (a file, a database row) to resume across restarts of your process. */
export interface CursorStore {
  get(key: string): string | undefined | Promise<string | undefined>;
  set(key: string, cursor: string): void | Promise<void>;
}

/** Cursors in memory: resumes across reconnects, not across restarts of the process holding them. */
export function memoryCursorStore(): CursorStore {
  const cursors = new Map<string, string>();
  return { get: (key) => cursors.get(key), set: (key, cursor) => void cursors.set(key, cursor) };
}

export interface ResumableSubscriberOptions {
  /** The gateway's GraphQL endpoint, http(s):// or ws(s)://, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /**
   * `ws`: graphql-ws over a WebSocket at `url`. `sse`: GraphQL over Server-Sent Events at `url`/stream,
   * one HTTP request per subscription, for networks, proxies and runtimes without WebSockets. @default 'ws'
   */
  transport?: 'ws' | 'sse';
  /**
   * Sent on every (re)connection, e.g. `Bearer <key>`: as `connectionParams.authorization` over ws, as the
   * `Authorization` header over sse. @default none
   */
  authorization?: string | (() => string | Promise<string>);
  /** A WebSocket implementation where there is no global one (Node 20: `import WebSocket from 'ws'`); ws only. @default globalThis.WebSocket */
  webSocketImpl?: unknown;
  /** Where the last cursor of each subscription is kept. @default memoryCursorStore() */
  cursors?: CursorStore;
  /** Delay before the first resubscription; doubles per failed attempt (with jitter). @default 250 */
  retryDelayMs?: number;
  /** Longest delay between resubscriptions. @default 10000 */
  maxRetryDelayMs?: number;
  /** A ping is sent after this much silence; no pong within `pongTimeoutMs` ends the socket. @default 10000 */
  keepAliveMs?: number;
  /** @default 5000 */
  pongTimeoutMs?: number;
  /** Connection state changes, for a status light or a log line. @default none */
  onStatus?: (status: ConnectionStatus) => void;
}

export interface ResumableHandlers<TResult> {
  /**
   * Each event, once and in order. The next one waits until this resolves; its cursor is stored after it
   * resolves, so an event whose handler was cut short by a crash is delivered again on restart.
   */
  next(data: TResult): void | Promise<void>;
  /**
   * The subscription ended for good: a GraphQL error (an expired cursor, a refused scope) or a close the
   * gateway meant as final (bad request, credentials refused or expired). Network drops, restarts and
   * slow-consumer closes are not errors: they are resumed. @default none
   */
  error?(error: unknown): void;
}

export interface ResumableSubscribeOptions {
  /** The key its cursor is stored under. @default the operation name and its variables */
  key?: string;
}

export interface ResumableSubscriber {
  /** Subscribes with the stored cursor (if any) as `after`; returns a function that unsubscribes. */
  subscribe<TResult, TVariables extends { after?: string | null }>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: Omit<TVariables, 'after'>,
    handlers: ResumableHandlers<TResult>,
    options?: ResumableSubscribeOptions,
  ): () => void;
  /** Ends every subscription and closes the socket. */
  dispose(): Promise<void>;
}

/** The event under the single root field of a subscription result: its cursor and whether it is a replay. */
function rootEvent(data: unknown): { cursor?: string; replayed: boolean } {
  const root =
    typeof data === 'object' && data !== null ? Object.values(data as Record<string, unknown>)[0] : undefined;
  if (typeof root !== 'object' || root === null) return { replayed: false };
  const { cursor, replayed } = root as { cursor?: unknown; replayed?: unknown };
  return { cursor: typeof cursor === 'string' ? cursor : undefined, replayed: replayed === true };
}

/** Variables with keys sorted, so equal variables make equal default keys. */
const canonicalVariables = (variables: object) => JSON.stringify(variables, Object.keys(variables).sort());

export function createResumableSubscriber(options: ResumableSubscriberOptions): ResumableSubscriber {
  const cursors = options.cursors ?? memoryCursorStore();
  const baseDelay = options.retryDelayMs ?? 250;
  const maxDelay = options.maxRetryDelayMs ?? 10_000;
  const transportOptions = {
    url: options.url,
    authorization: options.authorization,
    webSocketImpl: options.webSocketImpl,
    keepAliveMs: options.keepAliveMs ?? 10_000,
    pongTimeoutMs: options.pongTimeoutMs ?? 5000,
    onStatus: options.onStatus,
  };
  const client: Transport =
    options.transport === 'sse' ? sseTransport(transportOptions) : wsTransport(transportOptions);
  const active = new Set<() => void>();

  function subscribe<TResult, TVariables extends { after?: string | null }>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: Omit<TVariables, 'after'>,
    handlers: ResumableHandlers<TResult>,
    subscribeOptions: ResumableSubscribeOptions = {},
  ): () => void {
    const query = print(document);
    const operation = /\b(?:subscription)\s+(\w+)/.exec(query)?.[1] ?? 'subscription';
    const key = subscribeOptions.key ?? `${operation}:${canonicalVariables(variables)}`;
    let stopped = false;
    let attempt = 0;
    let startedAt = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let unsubscribe: (() => void) | undefined;
    // Handlers run one at a time, in arrival order; a resubscription waits for them to finish.
    let handled: Promise<void> = Promise.resolve();

    const fail = (error: unknown) => {
      stop();
      handlers.error?.(error);
    };

    async function start(): Promise<void> {
      await handled;
      if (stopped) return;
      const after = (await cursors.get(key)) ?? null;
      if (stopped) return;
      startedAt = Date.now();
      unsubscribe = client.subscribe(
        { query, variables: { ...variables, after } },
        {
          next: (result) => {
            if (result.data === undefined || result.data === null) {
              fail(result.errors ?? new Error('the gateway sent an event without data'));
              return;
            }
            attempt = 0;
            const data = result.data as TResult;
            const { cursor, replayed } = rootEvent(data);
            handled = handled.then(async () => {
              if (stopped) return;
              await handlers.next(data);
              // A replayed event is an older one sent again: the place to resume from does not move.
              if (cursor !== undefined && !replayed) await cursors.set(key, cursor);
            });
            handled.catch((error: unknown) => fail(error));
          },
          error: (error: unknown) => {
            unsubscribe = undefined;
            if (stopped) return;
            if (client.isFinal(error)) {
              fail(error);
              return;
            }
            retry();
          },
          // The gateway ended the stream (it is shutting down a subscription): pick it up again.
          complete: () => {
            unsubscribe = undefined;
            if (!stopped) retry();
          },
        },
      );
    }

    function retry(): void {
      // A subscription that stayed up a while starts its backoff afresh.
      if (Date.now() - startedAt > maxDelay) attempt = 0;
      const delay = Math.min(maxDelay, baseDelay * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      retryTimer = setTimeout(() => void start().catch(fail), delay);
    }

    function stop(): void {
      if (stopped) return;
      stopped = true;
      clearTimeout(retryTimer);
      unsubscribe?.();
      active.delete(stop);
    }

    active.add(stop);
    void start().catch(fail);
    return stop;
  }

  return {
    subscribe,
    async dispose() {
      for (const stop of [...active]) stop();
      await client.dispose();
    },
  };
}
