// graphql-ws served by the gateway's connection handling alone (ws-connections.ts), on a free port, with
// a one-field schema: for tests of the protocol's timers and messages without a whole gateway.
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { WebSocketServer } from 'ws';
import { createLogger } from '../../src/logger.js';
import { serveGraphQLWs, wsServerOptions } from '../../src/server/ws-connections.js';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
});

interface BareGraphQLWs {
  /** ws://127.0.0.1:<port> */
  readonly url: string;
  close(): Promise<void>;
}

export async function serveBareGraphQLWs(options: {
  keepAliveMs: number;
  /** graphql-ws's `connectionInitWaitTimeout`. @default 3000 */
  connectionInitWaitTimeout?: number;
}): Promise<BareGraphQLWs> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...wsServerOptions });
  await new Promise((resolve) => wss.once('listening', resolve));
  const served = serveGraphQLWs(
    wss,
    { schema, connectionInitWaitTimeout: options.connectionInitWaitTimeout },
    options.keepAliveMs,
    createLogger({ level: 'silent' }),
  );
  const address = wss.address();
  if (!address || typeof address === 'string') throw new Error('expected a TCP address');
  return { url: `ws://127.0.0.1:${address.port}`, close: () => served.dispose() };
}
