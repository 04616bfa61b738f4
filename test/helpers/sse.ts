// graphql-sse's own client against the gateway's /graphql/stream, in either of its modes, a subscription
// that resolves once the gateway's hub has its listener, and connections a test can drop.
import { connect as netConnect, type Socket } from 'node:net';
import { createClient, type Client } from 'graphql-sse';
import { Agent } from 'undici';
import { type EventHub } from '../../src/delivery/hub.js';
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
  hub: Pick<EventHub, 'opened' | 'untilCount'>,
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
  await Promise.race([hub.untilCount('opened', before + 1), failed]);
  return Object.assign(sub, {
    close() {
      sub.dispose();
      client.dispose();
    },
  });
}

/**
 * An undici Agent whose connections the test can drop and hold back, sending `authorization` when given (a
 * browser's EventSource sends none).
 */
export function controlledAgent(authorization?: string) {
  const sockets: Socket[] = [];
  let gate: Promise<void> = Promise.resolve();
  const agent = new Agent({
    connect: (options, callback) => {
      void gate.then(() => {
        const socket = netConnect({ host: options.hostname, port: Number(options.port) });
        socket.once('connect', () => callback(null, socket));
        socket.once('error', (error) => callback(error, null));
        sockets.push(socket);
      });
    },
  }).compose((dispatch) => (options, handler) => {
    if (authorization === undefined) return dispatch(options, handler);
    const headers = { ...(options.headers as Record<string, string>), authorization };
    return dispatch({ ...options, headers }, handler);
  });
  return {
    agent,
    /** Drops every connection and holds new ones back until `release()`. */
    drop() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      for (const socket of sockets.splice(0)) socket.destroy();
      return release;
    },
  };
}
