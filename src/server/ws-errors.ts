// graphql-ws reports errors on the WebSocket server and on its sockets with `console.error`, outside the
// JSON logs (an oversized message is the common case: `ws` refuses it and closes with 1009). These
// listeners take its place, so such errors reach the logger as one structured line each.
import { CloseCode } from 'graphql-ws';
import { type WebSocket, type WebSocketServer } from 'ws';
import { type Logger } from '../logger.js';

/** The part of an error worth a log line: never the frame that caused it. */
function described(error: unknown): { message: string; code?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { message: error.message, code } : { message: error.message };
}

function logSocketErrors(socket: WebSocket, logger: Logger): void {
  socket.removeAllListeners('error');
  socket.on('error', (error) => {
    // `ws` has already started closing with the protocol's code (1009, 1002, …) when it emits a frame error.
    logger.warn({ err: described(error) }, 'WebSocket error; closing the socket');
    if (socket.readyState === socket.OPEN)
      socket.close(CloseCode.InternalServerError, 'Internal server error');
  });
}

/**
 * Replaces graphql-ws's `console.error` listeners on `wss` and on every socket it accepts. Call it after
 * `useServer`: its `connection` listener runs after graphql-ws's, which adds the one to replace.
 */
export function logWebSocketErrors(wss: WebSocketServer, logger: Logger): void {
  wss.removeAllListeners('error');
  wss.on('error', (error) => {
    logger.error({ err: described(error) }, 'WebSocket server error; closing its sockets');
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });
  wss.on('connection', (socket) => logSocketErrors(socket, logger));
}
