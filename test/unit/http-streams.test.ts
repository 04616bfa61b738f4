// A resumable stream over a real HTTP response: the ids it gives its messages, which Last-Event-ID values
// it can resume from as its kept messages are bounded, and what it sends again on the next connection.
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { ADMIN_KEY_HOLDER } from '../../src/auth/principal.js';
import { createHttpStreams } from '../../src/server/http-streams.js';

let server: Server;
let url: string;
const responses: ServerResponse[] = [];
let arrived = () => undefined as void;
beforeAll(async () => {
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
    responses.push(response);
    arrived();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => server.close());

/** Opens a connection and resolves with its server-side response and the text the client reads. */
async function connect() {
  const count = responses.length;
  const serverSide = new Promise<ServerResponse>((resolve) => {
    arrived = () => resolve(responses[count]!);
  });
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  /** Reads until the text received contains `part`. */
  const until = async (part: string) => {
    while (!text.includes(part)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`ended before ${JSON.stringify(part)}: ${JSON.stringify(text)}`);
      text += value;
    }
    return text;
  };
  return { response: await serverSide, until, drop: () => controller.abort() };
}

const message = (n: number) => `event: next\ndata: ${String(n).padStart(40, '0')}\n\n`;

describe('a resumable stream', () => {
  it('numbers its messages, keeps the newest within keptChars, and resumes only where nothing is lost', async () => {
    const streams = createHttpStreams({ farewell: () => '', keptChars: 150 });
    const stream = streams.createResumable(ADMIN_KEY_HOLDER);
    const detached = new Promise<void>((resolve) => stream.onDetach(resolve));
    const first = await connect();
    stream.attach(first.response, ':\n\n');
    for (const n of [1, 2, 3]) await stream.write(message(n));
    // Comments (graphql-sse's pings) are neither numbered nor kept.
    await stream.write(':\n\n');
    expect(await first.until(`${message(3)}:\n\n`)).toBe(
      `:\n\nid: 1\n${message(1)}id: 2\n${message(2)}id: 3\n${message(3)}:\n\n`,
    );

    first.drop();
    await detached;
    // Written while nobody is connected: held, numbered once sent.
    const held = stream.write(message(4));
    // Each message is 66 characters with its id: 150 keep messages 2 and 3.
    expect(['0', '1', '2', '3'].map((id) => stream.resumePoint(id))).toEqual([undefined, 1, 2, 3]);
    expect(stream.resumePoint(undefined)).toBeUndefined();
    expect(['4', '-1', '02', '2.0', 'ZXY6Mg'].map((id) => stream.resumePoint(id))).toEqual(
      Array(5).fill(undefined),
    );

    const second = await connect();
    stream.resume(second.response, stream.resumePoint('2')!, ':\n\n');
    await held;
    expect(await second.until(`id: 4\n${message(4)}`)).toBe(`:\n\nid: 3\n${message(3)}id: 4\n${message(4)}`);
    expect(streams.counts().sse).toBe(1);

    const closed = new Promise<void>((resolve) => stream.onClose(resolve));
    stream.end();
    await closed;
    expect(stream.resumePoint('4')).toBeUndefined();
    expect(streams.counts().sse).toBe(0);
  });

  it('ends for good at shutdown while nobody is connected', async () => {
    const streams = createHttpStreams({ farewell: () => '' });
    const stream = streams.createResumable(ADMIN_KEY_HOLDER);
    const detached = new Promise<void>((resolve) => stream.onDetach(resolve));
    const connection = await connect();
    stream.attach(connection.response);
    connection.drop();
    await detached;
    const closed = new Promise<void>((resolve) => stream.onClose(resolve));
    await streams.close();
    await closed;
  });
});
