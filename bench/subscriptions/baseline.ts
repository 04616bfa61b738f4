// Child process: the floor the gateway's fan-out is compared with. A plain `ws` WebSocketServer that, for
// each POST /broadcast, sends the request body as one text frame to every open socket: no storage, no
// GraphQL, no per-subscriber work beyond the send itself. The orchestrator posts the very bytes of a
// gateway `next` frame, so both servers push the same frame to the same number of sockets.
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serveParent } from '../lib/child.js';
import { collectGarbage } from './memory.js';
import { type BaselineStats } from './protocol.js';

/** Frames are a few hundred bytes; anything much larger is not a bench frame. */
const MAX_BODY_BYTES = 65_536;

let broadcasts = 0;
const server = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/broadcast') {
    response.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if (size > MAX_BODY_BYTES) {
      response.writeHead(413).end();
      return;
    }
    // A string, as graphql-ws sends its frames: each send encodes and frames it for its socket.
    const frame = Buffer.concat(chunks).toString('utf8');
    for (const socket of wss.clients) socket.send(frame);
    broadcasts += 1;
    response.writeHead(204).end();
  });
});
// The gateway's WebSocketServer runs with the same defaults (no compression).
const wss = new WebSocketServer({ server });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

const stats = (): BaselineStats => ({
  clients: wss.clients.size,
  broadcasts,
  memory: process.memoryUsage(),
});

serveParent(
  `http://127.0.0.1:${port}`,
  {
    stats,
    gc: async () => {
      await collectGarbage();
      return stats();
    },
  },
  async () => {
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
);
