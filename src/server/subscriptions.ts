// graphql-ws on the gateway's HTTP server at /graphql: the caller authenticated at `connection_init`,
// context per subscription, query limits, cost and errors (codes, hints) as on HTTP, a cap on subscriptions
// per connection,
// sockets closed when their credentials expire, and slow consumers disconnected to resume by cursor.
import { type Server } from 'node:http';
import { type GraphQLError, type GraphQLSchema, OperationTypeNode } from 'graphql';
import { CloseCode, type ConnectionInitMessage, type Context, type SubscribePayload } from 'graphql-ws';
import { type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { type Authenticate } from '../auth/authenticate.js';
import { type Principal } from '../auth/principal.js';
import { SlowConsumerError } from '../delivery/hub.js';
import { type GraphQLContext } from '../graphql/context.js';
import { ErrorCode, GatewayError, toGraphQLError } from '../graphql/errors.js';
import { type Logger } from '../logger.js';
import { type FanoutStats, type SubscriptionArgs } from '../delivery/fanout.js';
import { createTails, NextWriter } from '../delivery/frames.js';
import { type Prepared, type SubscriptionAdmission } from './subscription-admission.js';
import { merged } from './merged.js';
import { serveGraphQLWs, wsServerOptions } from './ws-connections.js';

export interface SubscriptionServerOptions {
  server: Server;
  schema: GraphQLSchema;
  /** Resolves `connectionParams.authorization` at `connection_init`; a throw refuses the connection. */
  authenticate: Authenticate;
  /** A fresh context for each subscription, as the connection's principal. */
  context: (principal: Principal) => GraphQLContext;
  /** The checks every transport makes (rate limit, size, trusted documents, cost), and the shared fan-out. */
  admission: SubscriptionAdmission;
  /** The clock credentials expire by, epoch ms. @default Date.now */
  now?: () => number;
  logger: Logger;
  /** graphql-ws has no limit of its own (MAX_SUBSCRIPTIONS_PER_CONNECTION). @default 100 */
  maxSubscriptionsPerConnection?: number;
  /** Ping interval; dead peers are dropped after one missed pong. @default 12000 */
  keepAliveMs?: number;
  /** Close with 4408 a socket that sends no `connection_init` within this time, ms. @default 3000 */
  connectionInitWaitTimeout?: number;
  /** Largest WebSocket message accepted; a larger one closes the socket with 1009. @default MAX_PAYLOAD_BYTES */
  maxPayloadBytes?: number;
}

/**
 * ws accepts 100 MiB messages by default. A subscribe message is a document of at most 15,000 characters
 * (QUERY_LIMITS.maxCharacters, up to 4 bytes each in UTF-8) and small variables: 64 KiB holds that.
 */
export const MAX_PAYLOAD_BYTES = 65_536;

/**
 * Close code for a subscriber that fell too far behind. 1013 ("try again later") is not one graphql-ws
 * clients treat as fatal, so they reconnect, and resubscribing with the last cursor loses nothing.
 */
export const SLOW_CONSUMER_CLOSE_CODE = 1013;

/**
 * Close code for a socket whose credentials expired (a customer token's `exp`): graphql-ws's Forbidden,
 * the code it also uses when `connection_init` is refused, and one its clients do not retry blindly.
 * The client reconnects with fresh credentials and resumes by cursor.
 */
export const CREDENTIALS_EXPIRED_CLOSE_CODE = CloseCode.Forbidden;

/** setTimeout's longest delay (about 24.8 days); later expiries are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the gateway keeps on each graphql-ws connection. */
interface ConnectionState {
  principal?: Principal;
  expiry?: NodeJS.Timeout;
  /** The peer's address (rate limits), kept instead of the upgrade request. */
  address?: string;
}

/**
 * graphql-ws keeps the HTTP upgrade request in `extra` for the socket's whole life: its headers, raw
 * headers and stream state, over a kilobyte per socket that nothing reads after `connection_init`.
 * The gateway keeps the peer's address and lets the request go.
 */
function releaseRequest(extra: Extra, state: ConnectionState): void {
  state.address = extra.request.socket.remoteAddress;
  (extra as { request?: Extra['request'] }).request = undefined;
}

const stateOf = (extra: Extra): ConnectionState => {
  const holder = extra as Extra & { gateway?: ConnectionState };
  return (holder.gateway ??= {});
};

const isErrors = (admitted: Prepared | readonly GraphQLError[]): admitted is readonly GraphQLError[] =>
  Array.isArray(admitted);

/** connectionParams is the client's JSON: only a string `authorization` is taken from it. */
function authorizationOf(params: unknown): string | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const value = (params as Record<string, unknown>).authorization;
  return typeof value === 'string' ? value : undefined;
}

export interface SubscriptionServer {
  /** Executions run versus served from a group (executions per event = groups, not subscribers). */
  readonly fanout: Readonly<FanoutStats>;
  /** graphql-ws sockets open now (acknowledged or not). */
  readonly sockets: number;
  close(): Promise<void>;
}

/** What the server keeps across its connections. */
interface Connections {
  readonly options: SubscriptionServerOptions;
  /** Subscriptions one connection may hold. */
  readonly limit: number;
  readonly clock: () => number;
  /** The shared tails of graphql-ws `next` frames (src/delivery/frames.ts). */
  readonly tails: ReturnType<typeof createTails>;
  // A context's loaders, page readers and access checks are a kilobyte or two that every idle
  // subscription would hold its own copy of. Subscriptions of one principal (an API key's is one object
  // for every connection) share them: the resolvers empty the loaders before each event anyway, and the
  // group executes each event once whoever's context it runs in.
  readonly sharedContexts: WeakMap<Principal, GraphQLContext>;
}

type WsContext = Context<ConnectionInitMessage['payload'], Extra>;

export function attachSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const { admission } = options;
  const { fanout } = admission;
  const formatAll = (errors: Parameters<SubscriptionAdmission['formatAll']>[0]) =>
    admission.formatAll(errors);
  const connections: Connections = {
    options,
    limit: options.maxSubscriptionsPerConnection ?? 100,
    clock: options.now ?? Date.now,
    tails: createTails(),
    sharedContexts: new WeakMap(),
  };
  // Fan-out subscriptions' `next` frames are written by the fan-out itself (one serialisation per group
  // and event); graphql-ws still sends everything else: acks, pongs, errors, completes, closes.
  const wss = new WebSocketServer({
    server: options.server,
    path: '/graphql',
    maxPayload: options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES,
    ...wsServerOptions,
  });
  const disposable = serveGraphQLWs(
    wss,
    {
      schema: options.schema,
      connectionInitWaitTimeout: options.connectionInitWaitTimeout ?? 3_000,
      onConnect: (ctx) => onConnect(connections, ctx),
      onClose: (ctx) => clearTimeout(stateOf(ctx.extra).expiry),
      // graphql-ws hands the arguments onSubscribe returned to `subscribe`: the writer travels with them.
      subscribe: (args: SubscriptionArgs) => fanout.subscribe(args),
      onSubscribe: (ctx, id, payload) => onSubscribe(connections, ctx, id, payload),
      // Only for results the fan-out does not write itself (queries and mutations over the socket).
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: formatAll(result.errors) } : undefined,
      onError: (ctx, _id, _payload, errors) => {
        const slow = errors.find((e) => e.originalError instanceof SlowConsumerError);
        if (slow) closeSlow(options.logger, ctx.extra);
        return formatAll(errors);
      },
    },
    options.keepAliveMs ?? 12_000,
    options.logger,
  );
  return {
    fanout: fanout.stats,
    get sockets() {
      return wss.clients.size;
    },
    async close() {
      // graphql-ws closes every socket with 1001 (going away), which its clients retry.
      await disposable.dispose();
    },
  };
}

/** `connection_init`: the caller authenticated, its credentials' expiry armed. */
async function onConnect(connections: Connections, ctx: WsContext): Promise<boolean> {
  try {
    const principal = await connections.options.authenticate(authorizationOf(ctx.connectionParams));
    const state = stateOf(ctx.extra);
    state.principal = principal;
    releaseRequest(ctx.extra, state);
    if (principal.expiresAt !== undefined) closeAtExpiry(connections, ctx.extra, state, principal.expiresAt);
    return true;
  } catch {
    // graphql-ws closes with 4403 Forbidden; nothing of the credentials is logged.
    return false;
  }
}

/** `subscribe`: the cap, the one admission, then the fan-out's arguments with the socket's writer. */
async function onSubscribe(
  connections: Connections,
  ctx: WsContext,
  id: string,
  payload: SubscribePayload,
): Promise<SubscriptionArgs | readonly GraphQLError[]> {
  const { options, limit } = connections;
  // graphql-ws has already registered this subscription when onSubscribe runs: it counts itself.
  if (Object.keys(ctx.subscriptions).length > limit) {
    return [
      toGraphQLError(
        new GatewayError(ErrorCode.RATE_LIMITED, `At most ${limit} subscriptions per connection.`),
      ),
    ];
  }
  // After the count: it must see this subscription before another message's onSubscribe runs.
  const { principal, address } = stateOf(ctx.extra);
  // onConnect ran and succeeded before any subscribe message is accepted.
  if (!principal) return [toGraphQLError(new GatewayError(ErrorCode.UNAUTHENTICATED, 'Not connected.'))];
  const admitted = await options.admission.admit(principal, address, payload);
  if (isErrors(admitted)) return admitted;
  const onSlowConsumer = () => closeSlow(options.logger, ctx.extra);
  // Queries and mutations over the socket get a context of their own, as on HTTP.
  const base =
    admitted.operationType === OperationTypeNode.SUBSCRIPTION
      ? sharedContext(connections, principal)
      : options.context(principal);
  const contextValue: GraphQLContext = merged(base, { onSlowConsumer });
  const { maxBuffered } = contextValue.events;
  const writer = new NextWriter(ctx.extra.socket, id, connections.tails, maxBuffered, onSlowConsumer);
  const args: SubscriptionArgs = merged(admitted, { contextValue, writer });
  return args;
}

function sharedContext(connections: Connections, principal: Principal): GraphQLContext {
  let context = connections.sharedContexts.get(principal);
  if (!context) {
    context = connections.options.context(principal);
    connections.sharedContexts.set(principal, context);
  }
  return context;
}

function closeSlow(logger: Logger, extra: Extra): void {
  logger.warn('closing a slow subscriber');
  extra.socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: resubscribe with your last cursor');
}

function closeAtExpiry(
  connections: Connections,
  extra: Extra,
  state: ConnectionState,
  expiresAt: number,
): void {
  const delay = expiresAt - connections.clock();
  if (delay <= 0) {
    extra.socket.close(CREDENTIALS_EXPIRED_CLOSE_CODE, 'Forbidden: credentials expired');
    return;
  }
  state.expiry = setTimeout(
    () => closeAtExpiry(connections, extra, state, expiresAt),
    Math.min(delay, MAX_TIMER_MS),
  );
  state.expiry.unref();
}
