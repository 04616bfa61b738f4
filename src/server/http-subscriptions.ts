// Subscriptions POSTed to /graphql. A request that accepts Apollo's multipart HTTP subscriptions
// (`multipart/mixed;subscriptionSpec="1.0"`) is answered in that protocol: a part `{"payload": …}` per event,
// a heartbeat part `{}` every 5 s, a transport error as a final part. Apollo Server has by then done all
// that HTTP does before an operation runs (CSRF prevention, credentials, rate limit, trusted documents,
// validation, cost); the events come from the shared fan-out. Any other subscription over HTTP would run
// its root field as a query and fail inside the resolver, so it is refused as the caller's mistake
// (400 BAD_REQUEST) before anything runs, naming the transports that serve subscriptions.
import {
  type ApolloServerPlugin,
  type GraphQLRequestContext,
  type GraphQLRequestListener,
  type GraphQLResponse,
  HeaderMap,
} from '@apollo/server';
import { type FastifyReply } from 'fastify';
import { type ExecutionResult, type GraphQLFormattedError, OperationTypeNode } from 'graphql';
import { type GraphQLContext } from '../graphql/context.js';
import { ErrorCode, GatewayError, toGraphQLError } from '../graphql/errors.js';
import { type Logger } from '../logger.js';
import { type EndReason, type HttpStream, type HttpStreams, streamHead } from './http-streams.js';
import { type SubscriptionAdmission } from './subscription-admission.js';
import { merged } from './merged.js';

export const subscriptionOverHttp = () =>
  new GatewayError(
    ErrorCode.BAD_REQUEST,
    'Subscriptions are served over WebSocket with graphql-ws (protocol graphql-transport-ws) at ws://<host>/graphql, ' +
      'over Server-Sent Events (graphql-sse) at /graphql/stream, or here as multipart HTTP subscriptions when the ' +
      'request sends `Accept: multipart/mixed;subscriptionSpec="1.0", application/json`.',
  );

/** The response's type: the boundary Apollo's clients read from it, and the protocol version. */
export const MULTIPART_CONTENT_TYPE = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"';
/**
 * Each part is followed by its delimiter rather than preceded by it: a client finds the end of a part at
 * the next delimiter, so one written only before the next part would hold each event back until then.
 */
const OPEN = '\r\n--graphql';
const part = (json: string) =>
  `\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}\r\n--graphql`;
/** Turns the last delimiter into the closing one (`--graphql--`). */
const CLOSE = '--\r\n';
const HEARTBEAT = part('{}');

/** The protocol's last part: a transport error (`payload: null`), then the closing delimiter. */
export const multipartFinal = (errors: readonly GraphQLFormattedError[]) =>
  `${part(JSON.stringify({ payload: null, errors }))}${CLOSE}`;

/** A stream's last part when the gateway ends it: the client is told why and resumes by cursor. */
export function multipartFarewell(reason: EndReason): string {
  const error =
    reason === 'shutdown'
      ? new GatewayError(
          ErrorCode.SHUTTING_DOWN,
          'The gateway is shutting down: subscribe again with `after` set to the last cursor received.',
        )
      : new GatewayError(ErrorCode.FORBIDDEN, 'Forbidden: credentials expired.');
  return multipartFinal([{ message: error.message, extensions: { code: error.code } }]);
}

/** Whether an Accept header offers the multipart subscription protocol, version 1.0. */
export function acceptsMultipartSubscriptions(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    return (
      type === 'multipart/mixed' &&
      parameters.some((p) => p.replace(/\s+/g, '').replace(/"/g, '') === 'subscriptionspec=1.0')
    );
  });
}

export interface HttpSubscriptionsOptions {
  admission: SubscriptionAdmission;
  streams: HttpStreams;
  logger: Logger;
  /** A heartbeat part after this much time, as the protocol asks. @default 5000 */
  heartbeatMs?: number;
}

export interface HttpSubscriptions {
  /** Serves or refuses subscriptions in Apollo's pipeline. */
  readonly plugin: ApolloServerPlugin<GraphQLContext>;
  /** Remembers the reply a request's context belongs to (called by the context function). */
  bindReply(context: GraphQLContext, reply: FastifyReply): void;
}

function errorResponse(status: number, errors: GraphQLFormattedError[]): GraphQLResponse {
  return { http: { status, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { errors } } };
}

/** What the plugin keeps between requests. */
interface Multipart {
  readonly options: HttpSubscriptionsOptions;
  readonly heartbeatMs: number;
  // Apollo hands plugins a shallow copy of the context the context function returned: the request's own
  // loaders (made per request) are what the copy and the original share.
  readonly replies: WeakMap<object, FastifyReply>;
}

export function createHttpSubscriptions(options: HttpSubscriptionsOptions): HttpSubscriptions {
  const multipart: Multipart = {
    options,
    heartbeatMs: options.heartbeatMs ?? 5_000,
    replies: new WeakMap(),
  };
  const listener: GraphQLRequestListener<GraphQLContext> = {
    didResolveOperation({ operation, request }) {
      if (
        operation?.operation === OperationTypeNode.SUBSCRIPTION &&
        !acceptsMultipartSubscriptions(request.http?.headers.get('accept'))
      ) {
        throw toGraphQLError(subscriptionOverHttp());
      }
      return Promise.resolve();
    },
    responseForOperation(request) {
      if (request.operation?.operation !== OperationTypeNode.SUBSCRIPTION) return Promise.resolve(null);
      return serve(multipart, request);
    },
  };
  return {
    plugin: { requestDidStart: () => Promise.resolve(listener) },
    bindReply: (context, reply) => void multipart.replies.set(context.loaders, reply),
  };
}

/** Subscribes through the fan-out; a subscription that starts is answered as a multipart stream. */
async function serve(
  multipart: Multipart,
  request: GraphQLRequestContext<GraphQLContext>,
): Promise<GraphQLResponse | null> {
  const { admission, streams, logger } = multipart.options;
  const { contextValue, document, operationName, schema } = request;
  const reply = multipart.replies.get(contextValue.loaders);
  if (!document || !reply) return null;
  const { principal } = contextValue;
  const release = streams.take(principal, reply.request.ip);
  if (!release) {
    const capped = new GatewayError(
      ErrorCode.RATE_LIMITED,
      'Too many open subscriptions over HTTP for this caller.',
    );
    return errorResponse(400, admission.formatAll([toGraphQLError(capped)]));
  }
  const stream = streams.create('multipart', principal);
  stream.onClose(release);
  const context: GraphQLContext = merged(contextValue, {
    onSlowConsumer: () => {
      logger.warn('closing a slow multipart subscriber');
      stream.cut();
    },
  });
  const result = await admission.fanout.subscribe({
    writer: { write: (payload) => stream.write(part(`{"payload":${payload}}`)) },
    schema,
    document,
    operationName,
    variableValues: request.request.variables,
    contextValue: context,
  });
  if (!(Symbol.asyncIterator in result)) {
    // Refused as it started (an expired cursor): an ordinary GraphQL answer.
    stream.end();
    return errorResponse(200, admission.formatAll(result.errors ?? []));
  }
  writeParts(multipart, reply, stream, result);
  return { http: { status: 200, headers: new HeaderMap() }, body: { kind: 'single', singleResult: {} } };
}

/** The multipart response, written by hand: its head, heartbeats, and its end when the subscription ends. */
function writeParts(
  multipart: Multipart,
  reply: FastifyReply,
  stream: HttpStream,
  events: AsyncGenerator<ExecutionResult>,
): void {
  // From here the response is written by hand, part by part; Apollo's own answer is dropped.
  reply.hijack();
  reply.raw.writeHead(
    200,
    streamHead(reply, {
      'content-type': MULTIPART_CONTENT_TYPE,
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    }),
  );
  stream.attach(reply.raw, OPEN);
  void stream.write(HEARTBEAT);
  // A heartbeat waits for the one before it: a stalled reader is not sent one every 5 s into a buffer.
  let beating = false;
  const heartbeat = setInterval(() => {
    if (beating) return;
    beating = true;
    void stream.write(HEARTBEAT).then(() => (beating = false));
  }, multipart.heartbeatMs);
  stream.onClose(() => {
    clearInterval(heartbeat);
    void events.return(undefined);
  });
  void follow(multipart.options, events, (last) => stream.end(last));
}

/** Drives a subscription whose events its writer sends; ends the response when it ends. */
async function follow(
  { admission, logger }: HttpSubscriptionsOptions,
  events: AsyncGenerator<ExecutionResult>,
  end: (last: string) => void,
) {
  try {
    while (!(await events.next()).done);
    end(CLOSE);
  } catch (error) {
    const internal = new GatewayError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
    logger.warn({ err: error }, 'a multipart subscription failed');
    end(multipartFinal(admission.formatAll([toGraphQLError(internal)])));
  }
}
