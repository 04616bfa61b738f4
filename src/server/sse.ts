// GraphQL over Server-Sent Events at /graphql/stream: graphql-sse's handler speaks the protocol (both
// modes: a request per subscription, or one stream reserved with PUT carrying many), the gateway admits
// each operation as graphql-ws does and writes its events from the shared fan-out. In the distinct
// connections mode each event's cursor is its SSE `id`, so an EventSource that reconnects sends it back as
// `Last-Event-ID` and the stream resumes after it. A reservation (the single connection mode) outlives its
// event stream for a while: its operations go on, and an EventSource that reconnects to `?token=…` with
// `Last-Event-ID` gets every message it missed (see `resumeReservation` for why its ids are not cursors).
import { randomUUID } from 'node:crypto';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { GraphQLError, OperationTypeNode } from 'graphql';
import {
  createHandler,
  type ExecutionResult,
  type Handler,
  type OperationArgs,
  type OperationResult,
  type Request,
  type RequestParams,
  type Response,
  TOKEN_HEADER_KEY,
  TOKEN_QUERY_KEY,
} from 'graphql-sse';
import { type Authenticate } from '../auth/authenticate.js';
import { type Principal } from '../auth/principal.js';
import { encodeEventCursor } from '../events/cursor.js';
import { type StoredEvent } from '../events/event-log.js';
import { type GraphQLContext } from '../graphql/context.js';
import { ErrorCode, GatewayError, toGraphQLError } from '../graphql/errors.js';
import { type Logger } from '../logger.js';
import { type SubscriptionArgs, type Writer } from '../delivery/fanout.js';
import {
  type EndReason,
  type HttpStream,
  type HttpStreams,
  type ResumableStream,
  streamHead,
} from './http-streams.js';
import { type SubscriptionAdmission } from './subscription-admission.js';
import { merged } from './merged.js';

/** Where GraphQL over SSE is served. */
export const SSE_PATH = '/graphql/stream';

export interface SseOptions {
  /** Resolves the `Authorization` header; a throw refuses the request (UNAUTHENTICATED). */
  authenticate: Authenticate;
  admission: SubscriptionAdmission;
  streams: HttpStreams;
  /** A fresh context for each subscription, as its caller. */
  context: (principal: Principal) => GraphQLContext;
  logger: Logger;
  /**
   * How long a reservation (single connection mode) waits for its event stream, ms: for the first
   * connection, and for a reconnection after its stream dropped (SSE_RESERVATION_TIMEOUT_MS).
   * @default 30000
   */
  reservationTimeoutMs?: number;
}

/** What the gateway learns about one request while graphql-sse handles it. */
interface RequestState {
  readonly address: string | undefined;
  principal?: Principal;
  /** Refused credentials, sent as the stream's first event (the protocol's place for request errors). */
  refusal?: GraphQLError;
  /** Single connection mode: the reservation this request names. */
  reservation?: Reservation;
  /** Distinct connections mode: this request's own stream. */
  stream?: HttpStream;
}

interface Reservation {
  readonly principalId: string;
  readonly stream: ResumableStream;
  /** Its event stream has connected once: graphql-sse has handed it over, reconnections are the gateway's. */
  connected: boolean;
  /** Gives the reservation up while no event stream is connected to it. */
  waiting?: NodeJS.Timeout;
}

type SseRequest = Request<FastifyRequest | undefined, RequestState>;
type Context = Record<PropertyKey, unknown>;

const json = (status: number, body: unknown): Response => [
  JSON.stringify(body),
  { status, statusText: '', headers: { 'content-type': 'application/json; charset=utf-8' } },
];

/** The head graphql-sse gives an event stream, and what keeps buffering proxies (nginx) from holding it. */
const EVENT_STREAM_HEAD = {
  connection: 'keep-alive',
  'cache-control': 'no-cache',
  'content-encoding': 'none',
  'content-type': 'text/event-stream; charset=utf-8',
  'x-accel-buffering': 'no',
};

/**
 * A stream's last words when the gateway ends it. Not a `complete` (clients would stop for good): the
 * stream just ends, which the graphql-sse client and EventSource both treat as a dropped connection and
 * retry, EventSource after `retry` ms with `Last-Event-ID`.
 */
export function sseFarewell(reason: EndReason): string {
  return reason === 'shutdown'
    ? 'retry: 1000\n: the gateway is shutting down; reconnect to resume after your last event id\n\n'
    : ': credentials expired; reconnect with fresh credentials\n\n';
}

/** A refusal streamed like a result, so graphql-sse sends it as a `next` event and then `complete`. */
async function* refused(errors: readonly GraphQLError[]): AsyncGenerator<ExecutionResult> {
  await Promise.resolve();
  yield { errors };
}

const notASubscription = () =>
  new GatewayError(
    ErrorCode.BAD_REQUEST,
    `Only subscriptions are served at ${SSE_PATH}; send queries and mutations to POST /graphql.`,
  );

/**
 * Frames of one subscription around the payload its group serialised once: in the distinct connections
 * mode named by the event's cursor; in the single connection mode wrapped with the operation id (the
 * reservation's stream numbers its messages itself, see `resumeReservation`).
 */
function eventWriter(stream: HttpStream, operationId: string | undefined): Writer {
  const quotedId = operationId === undefined ? undefined : JSON.stringify(operationId);
  return {
    write(payload, event) {
      if (quotedId !== undefined) {
        return stream.write(`event: next\ndata: {"id":${quotedId},"payload":${payload}}\n\n`);
      }
      const { publishedSeq, replayed } = event as Partial<StoredEvent>;
      // A replayed copy is an older event sent again: without an id the client's last event id stays put.
      const id = publishedSeq === undefined || replayed ? '' : `id: ${encodeEventCursor(publishedSeq)}\n`;
      return stream.write(`${id}event: next\ndata: ${payload}\n\n`);
    },
  };
}

/** What the endpoint keeps between requests. */
interface Endpoint {
  readonly options: SseOptions;
  readonly reservationTimeoutMs: number;
  /** Reservations (single connection mode) by their token. */
  readonly reservations: Map<string, Reservation>;
  /** Each admitted subscription's cap slot, by its context: `onComplete` gives it back. */
  readonly releases: WeakMap<object, () => void>;
  /** graphql-sse's handler over `identify` and `onSubscribe`. */
  readonly handler: Handler<FastifyRequest | undefined, RequestState>;
}

const capError = () =>
  toGraphQLError(
    new GatewayError(ErrorCode.RATE_LIMITED, 'Too many open subscriptions over HTTP for this caller.'),
  );

export function registerSse(app: FastifyInstance, options: SseOptions): void {
  const { admission } = options;
  const endpoint: Endpoint = {
    options,
    reservationTimeoutMs: options.reservationTimeoutMs ?? 30_000,
    reservations: new Map(),
    releases: new WeakMap(),
    handler: createHandler<FastifyRequest | undefined, RequestState, Context>({
      // The admission validated the document once per text; graphql-sse would validate it again per request.
      validate: () => [],
      authenticate: (req) => identify(endpoint, req),
      onSubscribe: (req, params) => onSubscribe(endpoint, req, params),
      subscribe: (args) => admission.fanout.subscribe(args),
      // A subscription that ends (stopped by DELETE, or over by itself) gives its slot back at once: in the
      // single connection mode its stream may go on for long.
      onComplete: (ctx) => {
        if (ctx) endpoint.releases.get(ctx)?.();
      },
      // Only results the fan-out does not write itself: refusals, and a subscription refused as it starts.
      onNext: (_ctx, _req, result) =>
        result.errors
          ? ({ ...result, errors: admission.formatAll(result.errors) } as unknown as ExecutionResult)
          : undefined,
    }),
  };
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE'],
    url: SSE_PATH,
    handler: (request, reply) => serve(endpoint, request, reply),
  });
}

/** The caller, and the token graphql-sse files the request under (null: distinct connections mode). */
async function identify(endpoint: Endpoint, req: SseRequest): Promise<string | null | Response> {
  const { options, reservations } = endpoint;
  const state = req.context;
  const token =
    req.headers.get(TOKEN_HEADER_KEY) ??
    new URL(req.url, 'http://localhost').searchParams.get(TOKEN_QUERY_KEY) ??
    undefined;
  const wantsStream = req.headers.get('accept') === 'text/event-stream';
  const reservation = token === undefined ? undefined : reservations.get(token);
  // The reservation's token is its event stream's credential: a browser's EventSource sends no headers.
  if (wantsStream && reservation) {
    state.reservation = reservation;
    return token!;
  }
  let principal: Principal;
  try {
    principal = await options.authenticate(req.headers.get('authorization') ?? undefined);
  } catch (error) {
    const refusal = toGraphQLError(error as Error);
    if (wantsStream && token === undefined) {
      state.refusal = refusal;
      return null;
    }
    return json(401, { errors: options.admission.formatAll([refusal]) });
  }
  state.principal = principal;
  if (req.method === 'PUT') return reserve(endpoint, principal, state.address);
  if (token === undefined) return null;
  // Another caller's token names no stream of this one.
  if (reservation?.principalId !== principal.id)
    return json(404, { errors: [{ message: 'Stream not found' }] });
  state.reservation = reservation;
  return token;
}

function reserve(endpoint: Endpoint, principal: Principal, address: string | undefined): string | Response {
  const { options, reservations } = endpoint;
  const release = options.streams.take(principal, address);
  if (!release) return json(400, { errors: options.admission.formatAll([capError()]) });
  const token = randomUUID();
  const stream = options.streams.createResumable(principal);
  const reservation: Reservation = { principalId: principal.id, stream, connected: false };
  reservations.set(token, reservation);
  // Its operations (and cap slots) are held for a client that may come back, but not for ever.
  const wait = () => {
    reservation.waiting = setTimeout(
      () => void giveUp(endpoint, token, reservation),
      endpoint.reservationTimeoutMs,
    );
    reservation.waiting.unref();
  };
  wait();
  stream.onDetach(wait);
  stream.onClose(() => {
    clearTimeout(reservation.waiting);
    reservations.delete(token);
    release();
  });
  return token;
}

/**
 * A reservation nobody connected to in time. graphql-sse forgets a stream only once it has been connected
 * and closed, so one never connected is connected here, without a client; ending the stream then ends
 * graphql-sse's, which completes the operations.
 */
async function giveUp(endpoint: Endpoint, token: string, reservation: Reservation): Promise<void> {
  if (reservation.connected) {
    reservation.stream.end();
    return;
  }
  const [body] = await endpoint.handler({
    method: 'GET',
    url: SSE_PATH,
    headers: {
      get: (key) => (key === 'accept' ? 'text/event-stream' : key === TOKEN_HEADER_KEY ? token : null),
    },
    body: null,
    raw: undefined,
    context: { address: undefined },
  });
  if (body && typeof body !== 'string') await body.return(undefined);
  reservation.stream.end();
}

/**
 * An EventSource reconnecting to its reservation, with the `Last-Event-ID` of the last message it got.
 *
 * The ids are the stream's own message numbers, not event cursors. One stream carries several operations,
 * each at its own position in the log: one subscribed with `after` replays old events while another is
 * live, and each executes its events on its own, so their frames interleave out of cursor order. No
 * single cursor says where each operation stands, so resuming every operation after the last cursor
 * received would skip events. The stream instead keeps its messages once sent (bounded) and sends again
 * those after the one the client names; its operations never stopped, and what they produced while no
 * connection was there waited for this one. An id it cannot resume from (unknown, or messages after it no
 * longer kept) ends the reservation: the client reserves again and subscribes with `after` its cursors.
 */
function resumeReservation(reservation: Reservation, request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  const header = request.headers['last-event-id'];
  const point = reservation.stream.resumePoint(typeof header === 'string' && header ? header : undefined);
  if (point === undefined) {
    reservation.stream.end();
    const message = 'This stream cannot resume after that event id: reserve a new one and subscribe again.';
    const [body, init] = json(409, { errors: [{ message }] });
    reply.raw.writeHead(init.status, streamHead(reply, init.headers)).end(body);
    return;
  }
  clearTimeout(reservation.waiting);
  reply.raw.writeHead(200, streamHead(reply, EVENT_STREAM_HEAD));
  // Some browsers (Firefox, Safari) wait for a first message before they report the stream open.
  reservation.stream.resume(reply.raw, point, ':\n\n');
}

/** The reservation a request for an event stream names by its token, once graphql-sse connected it. */
function reconnecting(endpoint: Endpoint, request: FastifyRequest): Reservation | undefined {
  if (request.method !== 'GET' || request.headers.accept !== 'text/event-stream') return undefined;
  const header = request.headers[TOKEN_HEADER_KEY];
  const token =
    (typeof header === 'string' ? header : undefined) ??
    new URL(request.url, 'http://localhost').searchParams.get(TOKEN_QUERY_KEY) ??
    undefined;
  const reservation = token === undefined ? undefined : endpoint.reservations.get(token);
  return reservation?.connected ? reservation : undefined;
}

/** Admits one operation as graphql-ws does, and hands graphql-sse the fan-out's arguments with its writer. */
async function onSubscribe(
  endpoint: Endpoint,
  req: SseRequest,
  params: RequestParams,
): Promise<OperationResult | OperationArgs<Context>> {
  const { admission, streams, logger } = endpoint.options;
  const state = req.context;
  if (state.refusal) return refused([state.refusal]);
  const { principal, reservation } = state;
  if (!principal)
    return refused([toGraphQLError(new GatewayError(ErrorCode.UNAUTHENTICATED, 'Unauthenticated.'))]);
  const release = streams.take(principal, state.address);
  if (!release) return refused([capError()]);
  let admitted;
  try {
    admitted = await admission.admit(principal, state.address, params);
  } catch (error) {
    release();
    // graphql's syntax error, answered as Apollo answers it on HTTP.
    const message = error instanceof GraphQLError ? error.message : 'Syntax error.';
    return refused([new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
  }
  if (Array.isArray(admitted) || !('operationType' in admitted)) {
    release();
    return refused(admitted as readonly GraphQLError[]);
  }
  if (admitted.operationType !== OperationTypeNode.SUBSCRIPTION) {
    release();
    return refused([toGraphQLError(notASubscription())]);
  }
  const stream = reservation?.stream ?? (state.stream = streams.create('sse', principal));
  stream.onClose(release);
  const lastEventId = reservation ? undefined : (req.headers.get('last-event-id') ?? undefined);
  const context: GraphQLContext = merged(endpoint.options.context(principal), {
    onSlowConsumer: () => {
      logger.warn('closing a slow SSE subscriber');
      stream.cut();
    },
    resumeAfter: lastEventId || undefined,
  });
  const sentId = params.extensions?.operationId;
  // graphql-sse refuses a request in this mode without an operation id before onSubscribe runs.
  const operationId = reservation ? (typeof sentId === 'string' ? sentId : '') : undefined;
  endpoint.releases.set(context, release);
  // graphql-sse hands these very arguments to `subscribe`: the writer travels with them.
  const args: OperationArgs<Context> & SubscriptionArgs = merged(admitted, {
    // graphql-sse types the context as a plain record; GraphQLContext is an interface (no index signature).
    contextValue: context as GraphQLContext & Context,
    writer: eventWriter(stream, operationId),
  });
  return args;
}

/** One request to the endpoint: a reservation's reconnection, or graphql-sse's answer written by hand. */
async function serve(endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { streams, logger } = endpoint.options;
  const reservation = reconnecting(endpoint, request);
  if (reservation) return resumeReservation(reservation, request, reply);
  const state: RequestState = { address: request.ip };
  const [body, init] = await endpoint.handler({
    method: request.method,
    url: request.url,
    headers: {
      get: (key) => {
        const value = request.headers[key];
        return Array.isArray(value) ? value.join(',') : value;
      },
    },
    body: (request.body ?? null) as Record<string, unknown> | null,
    raw: request,
    context: state,
  });
  // Written by hand: the fan-out's frames and graphql-sse's own messages share the response.
  reply.hijack();
  if (!body || typeof body === 'string') {
    state.stream?.end();
    reply.raw.writeHead(init.status, streamHead(reply, init.headers)).end(body ?? undefined);
    return;
  }
  const stream = state.reservation?.stream ?? (state.stream ??= streams.create('sse', state.principal));
  if (state.reservation) {
    state.reservation.connected = true;
    clearTimeout(state.reservation.waiting);
  }
  reply.raw.writeHead(init.status, streamHead(reply, { ...init.headers, ...EVENT_STREAM_HEAD }));
  stream.attach(reply.raw);
  // A reservation's stream outlives this connection: graphql-sse's ends (completing its operations)
  // only when the gateway's does.
  stream.onClose(() => void body.return(undefined));
  try {
    for await (const message of body) await stream.write(message);
    stream.end();
  } catch (error) {
    logger.warn({ err: error }, 'an SSE stream failed');
    stream.cut();
  }
}
