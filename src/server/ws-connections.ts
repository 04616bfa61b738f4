// graphql-ws's protocol (its `makeServer`) on `ws` sockets, as graphql-ws's own `use/ws` adapter serves it,
// with less kept per connection: an idle subscription's memory is mostly its connection's. One timer
// pings every socket when its turn comes instead of an interval per socket, and the socket listeners are
// functions shared by all sockets instead of closures made for each. Socket errors are logged as one
// structured line (`ws-errors.ts`) instead of graphql-ws's `console.error`.
import {
  CloseCode,
  type ConnectionInitMessage,
  handleProtocols,
  makeServer,
  type ServerOptions,
} from 'graphql-ws';
import { type Extra } from 'graphql-ws/use/ws';
import { type RawData, type WebSocket, type WebSocketServer } from 'ws';
import { type Logger } from '../logger.js';
import { describedError, logWebSocketServerErrors } from './ws-errors.js';

/** How often the keep-alive timer looks for sockets due a ping, at most. */
const KEEP_ALIVE_TICK_MS = 1_000;
const CONNECTION = Symbol('graphql-ws connection');

/** One socket as graphql-ws's server sees it; a class, so its methods are shared by every socket. */
class Connection {
  /** graphql-ws's handlers of this socket's messages and of its close, set when it opens. */
  received: ((data: string) => Promise<void>) | undefined = undefined;
  closed: ((code: number, reason: string) => Promise<void>) | undefined = undefined;
  /** When the next ping is due, epoch ms; a ping unanswered by then ends the socket. */
  due: number;
  awaitingPong = false;

  constructor(
    readonly socket: WebSocket,
    readonly logger: Logger,
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
    this.received = received;
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

function onMessage(this: WebSocket, data: RawData): void {
  const connection = connectionOf(this);
  connection?.received?.(textOf(data)).catch((error: unknown) => {
    connection.logger.error(
      { err: describedError(error) },
      'graphql-ws failed on a message; closing the socket',
    );
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
  connectionOf(this)?.logger.warn({ err: describedError(error) }, 'WebSocket error; closing the socket');
  closeWithError(this);
}

export interface GraphQLWsServer {
  /** Closes every socket with 1001 (going away, which graphql-ws clients retry) and the server. */
  dispose(): Promise<void>;
}

/**
 * Serves graphql-ws on `wss` (created with `handleProtocols` from `wsServerOptions`). Pings each socket
 * every `keepAliveMs` and drops one that has not answered the previous ping, as `use/ws` does.
 */
export function serveGraphQLWs(
  wss: WebSocketServer,
  options: ServerOptions<ConnectionInitMessage['payload'], Extra>,
  keepAliveMs: number,
  logger: Logger,
): GraphQLWsServer {
  const server = makeServer(options);
  logWebSocketServerErrors(wss, logger);
  wss.on('connection', (socket, request) => {
    const connection = new Connection(socket, logger, keepAliveMs);
    (socket as Tagged)[CONNECTION] = connection;
    socket.on('error', onError);
    socket.on('message', onMessage);
    socket.on('pong', onPong);
    socket.on('close', onClose);
    connection.closed = server.opened(connection, { socket, request });
  });
  const keepAlive =
    keepAliveMs > 0 && Number.isFinite(keepAliveMs)
      ? setInterval(
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
        )
      : undefined;
  keepAlive?.unref();
  return {
    async dispose() {
      clearInterval(keepAlive);
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** `ws` options graphql-ws needs: only its subprotocol is accepted. */
export const wsServerOptions = { handleProtocols } as const;
