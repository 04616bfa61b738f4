// Live changes on every transport: graphql-ws at /graphql, Server-Sent Events at /graphql/stream and
// multipart HTTP inside Apollo's pipeline. One subscription admission and one fan-out serve all three
// (subscription-admission.ts), so a caller's subscription costs the same whichever transport carries it.
import { type FastifyInstance } from 'fastify';
import { type GraphQLFormattedError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { type Authenticate } from '../auth/authenticate.js';
import { type Config } from '../config.js';
import { type Logger } from '../logger.js';
import { type Admission } from './admission.js';
import { type Contexts } from './contexts.js';
import { type FanoutStats } from '../delivery/fanout.js';
import { createHttpStreams, type StreamTransport } from './http-streams.js';
import { createHttpSubscriptions, type HttpSubscriptions, multipartFarewell } from './http-subscriptions.js';
import { registerSse, sseFarewell } from './sse.js';
import { createSubscriptionAdmission } from './subscription-admission.js';
import { attachSubscriptions } from './subscriptions.js';

export interface LiveOptions {
  config: Pick<
    Config,
    'maxSubscriptionsPerConnection' | 'connectionInitTimeoutMs' | 'sseReservationTimeoutMs'
  >;
  schema: GraphQLSchema;
  rules: readonly ValidationRule[];
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  authenticate: Authenticate;
  admission: Admission;
  contexts: Contexts;
  logger: Logger;
}

export interface Live {
  /** Apollo's plugin that answers subscriptions POSTed for multipart HTTP. */
  readonly httpSubscriptions: HttpSubscriptions;
  readonly fanout: Readonly<FanoutStats>;
  /** graphql-ws sockets open now. */
  readonly sockets: () => number;
  /** HTTP event streams open now, by transport. */
  readonly streams: () => Record<StreamTransport, number>;
  /** Tells every client to reconnect (they resume by cursor) and closes sockets and streams. */
  close(): Promise<void>;
}

export function attachLive(app: FastifyInstance, options: LiveOptions): Live {
  const { config, authenticate, contexts, logger } = options;
  const admission = createSubscriptionAdmission({
    schema: options.schema,
    validationRules: options.rules,
    formatError: options.formatError,
    admission: options.admission,
  });
  const context = (principal: Parameters<Contexts['forSubscription']>[0]) =>
    contexts.forSubscription(principal);
  const streams = createHttpStreams({
    maxPerCaller: config.maxSubscriptionsPerConnection,
    farewell: (transport, reason) => (transport === 'sse' ? sseFarewell(reason) : multipartFarewell(reason)),
  });
  registerSse(app, {
    authenticate,
    admission,
    streams,
    context,
    logger,
    reservationTimeoutMs: config.sseReservationTimeoutMs,
  });
  const httpSubscriptions = createHttpSubscriptions({ admission, streams, logger });
  const sockets = attachSubscriptions({
    server: app.server,
    schema: options.schema,
    authenticate,
    context,
    admission,
    logger,
    maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection,
    connectionInitWaitTimeout: config.connectionInitTimeoutMs,
  });
  return {
    httpSubscriptions,
    fanout: sockets.fanout,
    sockets: () => sockets.sockets,
    streams: () => streams.counts(),
    close: async () => {
      await Promise.all([sockets.close(), streams.close()]);
    },
  };
}
