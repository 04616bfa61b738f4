// graphql-ws's protocol (its `makeServer`) on `ws` sockets, as graphql-ws's own `use/ws` adapter serves it,
// with less kept per connection: an idle subscription's memory is mostly its connection's. One timer
// pings every socket when its turn comes instead of an interval per socket, one timer closes sockets that
// sent no `connection_init` in time instead of a timeout per socket, and the socket listeners are
// functions shared by all sockets instead of closures made for each. Socket errors are logged as one
// structured line (`ws-errors.ts`) instead of graphql-ws's `console.error`.
import {
  CloseCode,
  type ConnectionInitMessage,
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  handleProtocols,
  makeServer,
  type ServerOptions,
} from 'graphql-ws';
import { type Extra } from 'graphql-ws/use/ws';
import { LRUCache } from 'lru-cache';
import { type RawData, type WebSocket, type WebSocketServer } from 'ws';
import { type Logger } from '../logger.js';
import { describedError, logWebSocketServerErrors } from './ws-errors.js';
import { InitWaits } from './ws-init-waits.js';

/** How often the keep-alive timer looks for sockets due a ping, at most. */
const KEEP_ALIVE_TICK_MS = 1_000;
const CONNECTION = Symbol('graphql-ws connection');

/** What every connection of one server shares. */
interface Shared {
  readonly logger: Logger;
  /** Messages are parsed here (false when graphql-ws must parse them with the server's reviver). */
  readonly parses: boolean;
  /**
   * The operation texts of subscribe messages, kept by graphql-ws for as long as each subscription lasts:
   * one string for each distinct text (subscribers mostly send the same few) rather than one each.
   */
  readonly queries: QueryTexts;
}

/** One socket as graphql-ws's server sees it; a class, so its methods are shared by every socket. */
class Connection {
  /**
   * graphql-ws's handlers of this socket's messages and of its close, set when it opens. graphql-ws takes
   * a message already parsed as well as its text (its `parseMessage` parses strings only).
   */
  received: ((data: unknown) => Promise<void>) | undefined = undefined;
  closed: ((code: number, reason: string) => Promise<void>) | undefined = undefined;
  /** When the next ping is due, epoch ms; a ping unanswered by then ends the socket. */
  due: number;
  awaitingPong = false;
  /** A `connection_init` came (graphql-ws's `connectionInitReceived`, for the shared init wait). */
  initReceived = false;

  constructor(
    readonly socket: WebSocket,
    readonly shared: Shared,
    keepAliveMs: number,
  ) {
    this.due = Date.now() + keepAliveMs;
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> {
    const { socket } = this;
    return new Promise((resolve, reject) => {
      if (socket.readyState !== socket.OPEN) return resolve();
      socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  onMessage(received: (data: string) => Promise<void>): void {
    this.received = received as (data: unknown) => Promise<void>;
  }
}

type Tagged = WebSocket & { [CONNECTION]?: Connection };
const connectionOf = (socket: WebSocket) => (socket as Tagged)[CONNECTION];

function closeWithError(socket: WebSocket): void {
  if (socket.readyState === socket.OPEN) socket.close(CloseCode.InternalServerError, 'Internal server error');
}

/** A message as text (a server socket's `binaryType` is `nodebuffer`: a Buffer, fragments joined). */
const textOf = (data: RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString()
    : Buffer.isBuffer(data)
      ? data.toString()
      : Buffer.from(data).toString();

/** Operation texts, one string for each distinct text (bounded by the characters held). */
type QueryTexts = LRUCache<string, string>;
const queryTexts = (): QueryTexts =>
  new LRUCache({ maxSize: 1_000_000, sizeCalculation: (text: string) => text.length });

function interned(texts: QueryTexts, text: string): string {
  const known = texts.get(text);
  if (known !== undefined) return known;
  texts.set(text, text);
  return text;
}

/**
 * A message as graphql-ws's `parseMessage` would read it. graphql-ws keeps its message handler's
 * argument for as long as a subscription lasts (it awaits the subscription's results in that call):
 * handed the parsed object rather than the text, it keeps no copy of the subscribe message's text, and
 * of its operation text only the shared one (`Shared.queries`). Text that is not JSON of an object goes
 * as it came, for graphql-ws to refuse as it always does.
 */
function messageOf(text: string, queries: QueryTexts): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof parsed !== 'object' || parsed === null) return text;
  const { payload } = parsed as { payload?: unknown };
  if (typeof payload === 'object' && payload !== null && 'query' in payload) {
    if (typeof payload.query === 'string') payload.query = interned(queries, payload.query);
  }
  return parsed;
}

function onMessage(this: WebSocket, data: RawData): void {
  const connection = connectionOf(this);
  if (!connection?.received) return;
  const text = textOf(data);
  const { shared } = connection;
  connection.received(shared.parses ? messageOf(text, shared.queries) : text).catch((error: unknown) => {
    shared.logger.error({ err: describedError(error) }, 'graphql-ws failed on a message; closing the socket');
    closeWithError(this);
  });
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  void connectionOf(this)?.closed?.(code, String(reason));
}

function onPong(this: WebSocket): void {
  const connection = connectionOf(this);
  if (connection) connection.awaitingPong = false;
}

function onError(this: WebSocket, error: Error): void {
  // `ws` has already started closing with the protocol's code (1009, 1002, …) when it emits a frame error.
  connectionOf(this)?.shared.logger.warn(
    { err: describedError(error) },
    'WebSocket error; closing the socket',
  );
  closeWithError(this);
}

export interface GraphQLWsServer {
  /** Closes every socket with 1001 (going away, which graphql-ws clients retry) and the server. */
  dispose(): Promise<void>;
}

type Options = ServerOptions<ConnectionInitMessage['payload'], Extra>;

/**
 * graphql-ws's options with its per-socket init timeout handed to `initWaits`, and `connectionParams`
 * dropped once `onConnect` has read them: nothing reads them later, and they hold the caller's credentials
 * for as long as the socket is open.
 */
function optionsWithSharedInitWait(options: Options): Options {
  const { onConnect } = options;
  return {
    ...options,
    connectionInitWaitTimeout: 0,
    onConnect: async (ctx) => {
      const connection = connectionOf(ctx.extra.socket);
      if (connection) connection.initReceived = true;
      try {
        return await onConnect?.(ctx);
      } finally {
        delete (ctx as { connectionParams?: unknown }).connectionParams;
      }
    },
  };
}

/** One interval for every socket: pings those due one, ends those that did not answer the last. */
function startKeepAlive(wss: WebSocketServer, keepAliveMs: number): NodeJS.Timeout | undefined {
  if (!(keepAliveMs > 0 && Number.isFinite(keepAliveMs))) return undefined;
  const keepAlive = setInterval(
    () => {
      const now = Date.now();
      for (const socket of wss.clients) {
        const connection = connectionOf(socket);
        if (!connection || now < connection.due || socket.readyState !== socket.OPEN) continue;
        if (connection.awaitingPong) {
          socket.terminate();
          continue;
        }
        connection.awaitingPong = true;
        connection.due = now + keepAliveMs;
        socket.ping();
      }
    },
    Math.min(KEEP_ALIVE_TICK_MS, keepAliveMs),
  );
  keepAlive.unref();
  return keepAlive;
}

/**
 * Serves graphql-ws on `wss` (created with `handleProtocols` from `wsServerOptions`). Pings each socket
 * every `keepAliveMs` and drops one that has not answered the previous ping, as `use/ws` does.
 */
export function serveGraphQLWs(
  wss: WebSocketServer,
  options: Options,
  keepAliveMs: number,
  logger: Logger,
): GraphQLWsServer {
  const server = makeServer(optionsWithSharedInitWait(options));
  const shared: Shared = {
    logger,
    parses: options.jsonMessageReviver === undefined,
    queries: queryTexts(),
  };
  const initWaits = new InitWaits(options.connectionInitWaitTimeout ?? 3_000, (connection: Connection) => {
    if (!connection.initReceived)
      connection.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
  });
  logWebSocketServerErrors(wss, logger);
  wss.on('connection', (socket, request) => {
    const connection = new Connection(socket, shared, keepAliveMs);
    (socket as Tagged)[CONNECTION] = connection;
    socket.on('error', onError);
    socket.on('message', onMessage);
    socket.on('pong', onPong);
    socket.on('close', onClose);
    connection.closed = server.opened(connection, { socket, request });
    // graphql-ws waits for `connection_init` only on sockets that speak its protocol.
    if (socket.protocol === GRAPHQL_TRANSPORT_WS_PROTOCOL) initWaits.add(connection);
  });
  const keepAlive = startKeepAlive(wss, keepAliveMs);
  return {
    async dispose() {
      clearInterval(keepAlive);
      initWaits.dispose();
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** `ws` options graphql-ws needs: only its subprotocol is accepted. */
export const wsServerOptions = { handleProtocols } as const;
