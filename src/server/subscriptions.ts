// graphql-ws on the gateway's HTTP server at /graphql: context per subscription, errors formatted as on
// HTTP, a cap on subscriptions per connection, and slow consumers disconnected so they resume by cursor.
import { type Server } from 'node:http';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { type StoredEvent } from '../events/event-log.js';
import { SlowConsumerError } from '../events/hub.js';
import { type GraphQLContext } from '../graphql/context.js';
import { ErrorCode, formatError } from '../graphql/errors.js';
import { type Logger } from '../logger.js';
import { createFanout, type FanoutStats } from './fanout.js';

export interface SubscriptionServerOptions {
  server: Server;
  schema: GraphQLSchema;
  /** A fresh context for each subscription. */
  context: () => GraphQLContext;
  logger: Logger;
  /** graphql-ws has no limit of its own. @default 100 */
  maxSubscriptionsPerConnection?: number;
  /** Ping interval; dead peers are dropped after one missed pong. @default 12000 */
  keepAliveMs?: number;
}

/**
 * Close code for a subscriber that fell too far behind. 1013 ("try again later") is not one graphql-ws
 * clients treat as fatal, so they reconnect, and resubscribing with the last cursor loses nothing.
 */
export const SLOW_CONSUMER_CLOSE_CODE = 1013;

const formatAll = (errors: readonly GraphQLError[]) =>
  errors.map((error) => formatError(error.toJSON(), error));

export interface SubscriptionServer {
  /** Executions run versus served from a group (executions per event = groups, not subscribers). */
  readonly fanout: Readonly<FanoutStats>;
  close(): Promise<void>;
}

export function attachSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const limit = options.maxSubscriptionsPerConnection ?? 100;
  const fanout = createFanout({
    scopeOf: (context) => (context as GraphQLContext).principal.id,
    eventKey: (payload) => {
      const seq = (payload as Partial<StoredEvent>).publishedSeq;
      return seq === undefined ? undefined : String(seq);
    },
  });
  const wss = new WebSocketServer({ server: options.server, path: '/graphql' });
  const disposable = useServer(
    {
      schema: options.schema,
      context: () => options.context(),
      subscribe: (args) => fanout.subscribe(args),
      onSubscribe: (ctx) => {
        if (Object.keys(ctx.subscriptions).length >= limit) {
          return [
            new GraphQLError(`At most ${limit} subscriptions per connection.`, {
              extensions: { code: ErrorCode.RATE_LIMITED },
            }),
          ];
        }
        return undefined;
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: formatAll(result.errors) } : undefined,
      onError: (ctx, _id, _payload, errors) => {
        const slow = errors.find((e) => e.originalError instanceof SlowConsumerError);
        if (slow) {
          options.logger.warn('closing a slow subscriber');
          ctx.extra.socket.close(
            SLOW_CONSUMER_CLOSE_CODE,
            'Slow consumer: resubscribe with your last cursor',
          );
        }
        return formatAll(errors);
      },
    },
    wss,
    options.keepAliveMs ?? 12_000,
  );
  return {
    fanout: fanout.stats,
    async close() {
      // graphql-ws closes every socket with 1001 (going away), which its clients retry.
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
