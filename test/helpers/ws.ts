// graphql-ws's own client against the gateway, and a collector that resolves when N events arrived.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { type EventHub } from '../../src/delivery/hub.js';
import { bearer, TEST_ADMIN_KEY } from './auth.js';

export interface WsClientOptions {
  retryAttempts?: number;
  /** Sent as `connectionParams.authorization`; null sends none. @default the test admin key */
  credential?: string | null;
  /** graphql-ws client options passed through (e.g. `on` listeners). */
  on?: Parameters<typeof createClient>[0]['on'];
}

export function wsClient(graphqlUrl: string, options: WsClientOptions = {}): Client {
  const credential = options.credential === undefined ? TEST_ADMIN_KEY : options.credential;
  return createClient({
    url: graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: options.retryAttempts ?? 0,
    lazy: true,
    connectionParams: credential === null ? undefined : { authorization: bearer(credential) },
    on: options.on,
  });
}

export interface Collector<T> {
  readonly items: T[];
  /** Resolves when at least `count` items have arrived. */
  waitFor(count: number): Promise<T[]>;
  /** Resolves when the items received so far satisfy `done`. */
  waitUntil(done: (items: T[]) => boolean): Promise<T[]>;
  /** Resolves with the error that ended the subscription. */
  readonly failed: Promise<unknown>;
  /** Resolves when the server completed the subscription. */
  readonly completed: Promise<void>;
  dispose(): void;
}

/** What `collect` needs of a client: graphql-ws's `subscribe`, which graphql-sse's client shares. */
export interface Subscribable {
  subscribe<T>(
    request: { query: string; variables?: Record<string, unknown> },
    sink: {
      next(result: { data?: T | null; errors?: readonly unknown[] }): void;
      error(error: unknown): void;
      complete(): void;
    },
  ): () => void;
}

export function collect<T>(
  client: Subscribable,
  query: string,
  variables: Record<string, unknown> = {},
): Collector<T> {
  const items: T[] = [];
  const waiters: { done: (items: T[]) => boolean; resolve: (items: T[]) => void }[] = [];
  let fail!: (error: unknown) => void;
  let complete!: () => void;
  const failed = new Promise<unknown>((resolve) => (fail = resolve));
  const completed = new Promise<void>((resolve) => (complete = resolve));
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) {
          fail(result.errors);
          return;
        }
        items.push(result.data as T);
        for (const waiter of [...waiters]) {
          if (waiter.done(items)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(items.slice());
          }
        }
      },
      error: (error) => fail(error),
      complete: () => complete(),
    },
  );
  function waitUntil(done: (items: T[]) => boolean): Promise<T[]> {
    return done(items)
      ? Promise.resolve(items.slice())
      : new Promise((resolve) => waiters.push({ done, resolve }));
  }
  return {
    items,
    failed,
    completed,
    dispose,
    waitFor: (count) => waitUntil((all) => all.length >= count),
    waitUntil,
  };
}

/**
 * Subscribes and resolves once the gateway's hub has the new listener, so events posted afterwards are
 * certain to reach it (graphql-ws connects and subscribes asynchronously).
 */
export async function subscribeLive<T>(
  graphqlUrl: string,
  hub: Pick<EventHub, 'opened' | 'untilCount'>,
  query: string,
  variables: Record<string, unknown> = {},
  options: WsClientOptions = {},
): Promise<Collector<T> & { close(): Promise<void> }> {
  const before = hub.opened;
  const client = wsClient(graphqlUrl, options);
  const sub = collect<T>(client, query, variables);
  const failed = sub.failed.then((error) => {
    throw new Error(`subscription failed: ${JSON.stringify(error)}`);
  });
  try {
    await Promise.race([hub.untilCount('opened', before + 1), failed]);
  } catch (error) {
    // A subscription that failed leaves nothing open behind it.
    sub.dispose();
    await client.dispose();
    throw error;
  }
  return Object.assign(sub, {
    async close() {
      sub.dispose();
      await client.dispose();
    },
  });
}
