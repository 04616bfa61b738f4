// The gateway's graphql-ws connection handling keeps graphql-ws's wait for `connection_init` (one timer
// for every socket rather than one each) and reads messages as graphql-ws does.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import { serveBareGraphQLWs } from '../helpers/graphql-ws-server.js';

const INIT_WAIT_MS = 200;
let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ url, close } = await serveBareGraphQLWs({ keepAliveMs: 0, connectionInitWaitTimeout: INIT_WAIT_MS }));
});
afterAll(() => close());

async function opened(): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve) => socket.once('open', resolve));
  return { socket, closed };
}

const nextMessage = (socket: WebSocket) =>
  new Promise<unknown>((resolve) =>
    socket.once('message', (data: Buffer) => resolve(JSON.parse(String(data)))),
  );

it('closes with 4408 the socket that sent no connection_init in time, and only that one', async () => {
  const initialised = await opened();
  const silent = await opened();
  const ack = nextMessage(initialised.socket);
  initialised.socket.send(JSON.stringify({ type: 'connection_init' }));
  expect(await ack).toEqual({ type: 'connection_ack' });

  expect(await silent.closed).toBe(4408);
  // The initialised socket opened first, so its wait was over before the silent one's.
  expect(initialised.socket.readyState).toBe(WebSocket.OPEN);
  const pong = nextMessage(initialised.socket);
  initialised.socket.send(JSON.stringify({ type: 'ping' }));
  expect(await pong).toEqual({ type: 'pong' });
  initialised.socket.close();
});

it('refuses with 4400 a message that is JSON but not an object, as graphql-ws does', async () => {
  const { socket, closed } = await opened();
  // A JSON string holding a valid message: graphql-ws parses a message's text once, never twice.
  socket.send(JSON.stringify(JSON.stringify({ type: 'connection_init' })));
  expect(await closed).toBe(4400);
});

it('refuses with 4400 a message that is not JSON', async () => {
  const { socket, closed } = await opened();
  socket.send('{"type":');
  expect(await closed).toBe(4400);
});
