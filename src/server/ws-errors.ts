// graphql-ws reports errors on the WebSocket server and on its sockets with `console.error`, outside the
// JSON logs (an oversized message is the common case: `ws` refuses it and closes with 1009). These
// listeners take its place, so such errors reach the logger as one structured line each.
import { CloseCode } from 'graphql-ws';
import { type WebSocketServer } from 'ws';
import { type Logger } from '../logger.js';

/** The part of an error worth a log line: never the frame that caused it. */
export function describedError(error: unknown): { message: string; code?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { message: error.message, code } : { message: error.message };
}

/** Logs errors of the WebSocket server itself and closes its sockets (graphql-ws would `console.error`). */
export function logWebSocketServerErrors(wss: WebSocketServer, logger: Logger): void {
  wss.on('error', (error) => {
    logger.error({ err: describedError(error) }, 'WebSocket server error; closing its sockets');
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });
}
