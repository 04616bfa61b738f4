// A partner's webhook endpoint for event destination tests: a real HTTP server on a free port that
// verifies every delivery with the standardwebhooks package, records it, and answers what the test says.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed body, when it verified with one of the receiver's secrets. */
  payload: unknown;
  verified: boolean;
  /** The status the receiver answered. */
  status: number;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** The secrets deliveries are verified with (any one verifying counts). */
  secrets: string[];
  /** What to answer a delivery with. @default 200 */
  respond: (request: { id: string; payload: unknown }) => number;
  /** How long each answer is held back, as a slow endpoint would. @default 0 */
  answerAfterMs: number;
  /** The most attempts of one webhook-id that were in flight at once (two senders would make it 2). */
  readonly maxInFlightPerId: number;
  /** Resolves once the deliveries received satisfy `done`. */
  waitUntil(done: (received: Received[]) => boolean): Promise<Received[]>;
  close(): Promise<void>;
}

function headerOf(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return typeof value === 'string' ? value : '';
}

export async function startReceiver(): Promise<Receiver> {
  const waiters: { done: (received: Received[]) => boolean; resolve: (received: Received[]) => void }[] = [];
  const receiver: Receiver = {
    url: '',
    received: [],
    secrets: [],
    respond: () => 200,
    answerAfterMs: 0,
    maxInFlightPerId: 0,
    waitUntil(done) {
      if (done(receiver.received)) return Promise.resolve(receiver.received);
      return new Promise((resolve) => waiters.push({ done, resolve }));
    },
    close: () => Promise.resolve(),
  };
  const inFlight = new Map<string, number>();
  const server = createServer((request, response) => {
    const id = headerOf(request.headers, 'webhook-id');
    inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
    (receiver as { maxInFlightPerId: number }).maxInFlightPerId = Math.max(
      receiver.maxInFlightPerId,
      inFlight.get(id)!,
    );
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': headerOf(request.headers, 'webhook-id'),
        'webhook-timestamp': headerOf(request.headers, 'webhook-timestamp'),
        'webhook-signature': headerOf(request.headers, 'webhook-signature'),
      };
      let payload: unknown;
      let verified = false;
      for (const secret of receiver.secrets) {
        try {
          payload = new Webhook(secret).verify(body, headers);
          verified = true;
          break;
        } catch {
          // Not this secret; the next one may verify it.
        }
      }
      const status = receiver.respond({ id, payload });
      receiver.received.push({
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        body,
        payload,
        verified,
        status,
      });
      setTimeout(() => {
        inFlight.set(id, inFlight.get(id)! - 1);
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
      }, receiver.answerAfterMs);
      for (const waiter of [...waiters]) {
        if (waiter.done(receiver.received)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(receiver.received);
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
