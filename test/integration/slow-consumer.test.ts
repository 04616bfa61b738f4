// A subscriber that stops reading cannot make the gateway buffer without bound: once it is more than the
// limit behind, its socket is closed with 1013 ("try again later"), or its SSE stream is cut, and it can
// resume from its cursor.
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { bearer } from '../helpers/auth.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  // Large notices fill the loopback buffers (tens of MB here) after a few dozen events.
  stack = await startStack({
    registerWebhook: false,
    hub: { maxBuffered: 5 },
    env: { WEBHOOK_MAX_BODY_BYTES: String(2_000_000) },
  });
});
afterAll(() => stack.close());

it('closes a subscriber that stopped reading with 1013 once it is too far behind', async () => {
  const { hub } = stack.gateway.events;
  const opened = hub.opened;
  const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: bearer(stack.adminKey) } }),
  );
  await new Promise((resolve) => socket.once('message', resolve));
  const query = 'subscription { billwerkEvents(types: ["Bulky"]) { cursor payload } }';
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
  await hub.untilCount('opened', opened + 1);
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

  // Stop reading: the kernel buffers fill, the gateway's sends stall, and its per-subscriber queue grows.
  (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
  const pad = 'x'.repeat(1_000_000);
  const posted = 80;
  for (let n = 0; n < posted; n += 1) {
    expect(await stack.postWebhook({ Event: 'Bulky', N: n, Pad: pad })).toBe(202);
  }
  await stack.gateway.events.pipeline.idle();
  const frames: string[] = [];
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    frames.push(data.toString());
  });
  (socket as unknown as { _socket: { resume(): void } })._socket.resume();
  // It gets what was already on its way, then the close: not all 80 events.
  await expect(closed).resolves.toBe(1013);
  expect(frames.length).toBeLessThan(posted);
  // Those it got are whole `next` messages, although frames this large leave the gateway in fragments.
  expect(frames.length).toBeGreaterThan(0);
  for (const [n, frame] of frames.entries()) {
    const message = JSON.parse(frame) as { id: string; type: string; payload: { data: unknown } };
    expect(message).toMatchObject({ id: '1', type: 'next' });
    const event = (message.payload.data as { billwerkEvents: { payload: { N: number; Pad: string } } })
      .billwerkEvents;
    expect(event.payload).toMatchObject({ N: n });
    expect(event.payload.Pad).toHaveLength(pad.length);
  }
}, 60_000);

/** The heap after a full collection (V8's gc, exposed for this measurement only). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

it('cuts an SSE reader that stopped reading once it is too far behind, without the heap growing', async () => {
  const { hub, pipeline } = stack.gateway.events;
  const opened = hub.opened;
  const { port } = new URL(stack.graphqlUrl);
  const query = encodeURIComponent('subscription { billwerkEvents(types: ["BulkySse"]) { cursor payload } }');
  const socket = connect({ host: '127.0.0.1', port: Number(port) });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `GET /graphql/stream?query=${query} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n` +
      `Authorization: ${bearer(stack.adminKey)}\r\n\r\n`,
  );
  await new Promise((resolve) => socket.once('data', resolve));
  await hub.untilCount('opened', opened + 1);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.pause();
  const before = heapAfterGc();

  const pad = 'y'.repeat(1_000_000);
  const posted = 80;
  for (let n = 0; n < posted; n += 1) {
    expect(await stack.postWebhook({ Event: 'BulkySse', N: n, Pad: pad })).toBe(202);
  }
  await pipeline.idle();
  // 80 MB went through the gateway: buffering them for the stalled reader would grow the heap by more than
  // that. What stays is the fan-out's recent results (a few events, text and object) and caches (~24 MB here).
  const grown = heapAfterGc() - before;
  let received = 0;
  socket.on('data', (chunk: Buffer) => (received += chunk.length));
  socket.resume();
  await closed;
  expect(received).toBeLessThan(posted * pad.length);
  expect(grown).toBeLessThan(40_000_000);
  expect(hub.size).toBe(0);
}, 60_000);
