// graphql-sse's own client against the gateway's /graphql/stream, in either of its modes, and a
// subscription that resolves once the gateway's hub has its listener.
import { createClient, type Client } from 'graphql-sse';
import { bearer, TEST_ADMIN_KEY } from './auth.js';
import { collect, type Collector } from './ws.js';

export interface SseClientOptions {
  /** graphql-sse's single connection mode (a reservation via PUT). @default false */
  singleConnection?: boolean;
  /** Sent as `Authorization: Bearer …`; null sends none. @default the test admin key */
  credential?: string | null;
}

export function sseClient(graphqlUrl: string, options: SseClientOptions = {}): Client<boolean> {
  const credential = options.credential === undefined ? TEST_ADMIN_KEY : options.credential;
  return createClient({
    url: `${graphqlUrl}/stream`,
    singleConnection: options.singleConnection ?? false,
    headers: credential === null ? {} : { authorization: bearer(credential) },
    retryAttempts: 0,
  });
}

/** Subscribes over SSE and resolves once the gateway's hub has the new listener. */
export async function subscribeLiveSse<T>(
  graphqlUrl: string,
  hub: { readonly opened: number },
  query: string,
  variables: Record<string, unknown> = {},
  options: SseClientOptions = {},
): Promise<Collector<T> & { close(): void }> {
  const before = hub.opened;
  const client = sseClient(graphqlUrl, options);
  const sub = collect<T>(client, query, variables);
  const failed = sub.failed.then((error) => {
    throw new Error(`subscription failed: ${JSON.stringify(error)}`);
  });
  const live = (async () => {
    while (hub.opened <= before) await new Promise((resolve) => setImmediate(resolve));
  })();
  await Promise.race([live, failed]);
  return Object.assign(sub, {
    close() {
      sub.dispose();
      client.dispose();
    },
  });
}
