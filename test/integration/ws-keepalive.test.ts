// The gateway's graphql-ws connection handling keeps graphql-ws's keep-alive: every socket is pinged when
// its turn comes, one that answers stays, one that stopped answering is dropped by the next turn.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import { serveBareGraphQLWs } from '../helpers/graphql-ws-server.js';

const KEEP_ALIVE_MS = 150;
let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ url, close } = await serveBareGraphQLWs({ keepAliveMs: KEEP_ALIVE_MS }));
});
afterAll(() => close());

async function connect(autoPong: boolean): Promise<WebSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws', { autoPong });
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init' }));
  const ack = await new Promise<string>((resolve) =>
    socket.once('message', (data: Buffer) => resolve(String(data))),
  );
  expect(JSON.parse(ack)).toEqual({ type: 'connection_ack' });
  return socket;
}

it('keeps a socket that answers its pings and drops one that stopped answering', async () => {
  const answering = await connect(true);
  const silent = await connect(false);
  let answeringClosed = false;
  answering.once('close', () => (answeringClosed = true));
  const silentClosed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
  const silentPinged = new Promise((resolve) => silent.once('ping', resolve));
  // The answering socket is pinged turn after turn and stays open through them.
  const pings = new Promise<void>((resolve) => {
    let count = 0;
    answering.on('ping', () => {
      count += 1;
      if (count === 4) resolve();
    });
  });

  await silentPinged;
  // Terminated without a close frame: the client sees an abnormal closure.
  await expect(silentClosed).resolves.toBe(1006);
  await pings;
  expect(answeringClosed).toBe(false);
  expect(answering.readyState).toBe(WebSocket.OPEN);
  answering.close();
}, 10_000);
