// A browser's EventSource on an SSE reservation (graphql-sse's single connection mode: PUT with credentials,
// then `?token=…` with no headers), played by undici's EventSource over real HTTP against the gateway and
// the emulator: its connection drops, events happen meanwhile, it reconnects with Last-Event-ID and gets
// every message it missed once, in order; a reservation nobody comes back to is given up, its slots freed.
import { EventSource } from 'undici';
import { TOKEN_HEADER_KEY } from 'graphql-sse';
import { apiKey, bearer } from '../helpers/auth.js';
import { controlledAgent } from '../helpers/sse.js';
import { startStack, type Stack } from '../helpers/stack.js';

const PROBES = `subscription Probes($contractId: ID, $after: String) {
  billwerkEvents(types: ["SseResumeProbe"], contractId: $contractId, after: $after) { cursor payload }
}`;
interface Next {
  id: string;
  payload: {
    data?: { billwerkEvents: { cursor: string; payload: { N: number } } };
    errors?: { extensions: { code: string } }[];
  };
}
interface Received {
  /** The SSE id the message came with. */
  messageId: string;
  operation: string;
  n: number;
  cursor: string;
}

const contractOf = (n: number) => `65f0000000000000000b${String(n % 2).padStart(4, '0')}`;
const probe = (stack: Stack, n: number) =>
  stack.postWebhook({ Event: 'SseResumeProbe', ContractId: contractOf(n), N: n });

/** PUT /graphql/stream: the reservation's token, or the status it was refused with. */
async function reserve(stack: Stack, credential: string): Promise<{ status: number; token: string }> {
  const response = await fetch(`${stack.graphqlUrl}/stream`, {
    method: 'PUT',
    headers: { authorization: bearer(credential) },
  });
  return { status: response.status, token: await response.text() };
}

/** Starts an operation on the reservation, as graphql-sse's client does in its single connection mode. */
async function start(
  stack: Stack,
  credential: string,
  token: string,
  operationId: string,
  variables: Record<string, unknown>,
) {
  const response = await fetch(`${stack.graphqlUrl}/stream`, {
    method: 'POST',
    headers: {
      authorization: bearer(credential),
      'content-type': 'application/json',
      [TOKEN_HEADER_KEY]: token,
    },
    body: JSON.stringify({ query: PROBES, variables, extensions: { operationId } }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** An EventSource on `?token=…` (no headers, as in a browser), recording every `next` it is sent. */
function openReservation(stack: Stack, token: string, dispatcher?: ReturnType<typeof controlledAgent>) {
  const source = new EventSource(`${stack.graphqlUrl}/stream?token=${encodeURIComponent(token)}`, {
    node: { dispatcher: dispatcher?.agent, reconnectionTime: 10 },
  });
  const received: Received[] = [];
  const completed: string[] = [];
  const errors: string[] = [];
  let opens = 0;
  const waiters: (() => void)[] = [];
  const settle = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  source.addEventListener('open', () => {
    opens += 1;
    settle();
  });
  source.addEventListener('error', settle);
  source.addEventListener('next', (event) => {
    const message = event as unknown as { data: string; lastEventId: string };
    const next = JSON.parse(message.data) as Next;
    const events = next.payload.data?.billwerkEvents;
    if (events) {
      received.push({
        messageId: message.lastEventId,
        operation: next.id,
        n: events.payload.N,
        cursor: events.cursor,
      });
    } else errors.push(...(next.payload.errors ?? []).map((e) => `${next.id}: ${e.extensions.code}`));
    settle();
  });
  source.addEventListener('complete', (event) => {
    completed.push((JSON.parse((event as unknown as { data: string }).data) as { id: string }).id);
    settle();
  });
  /** Resolves once `done` holds, checked on each open, error and message. */
  const until = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (done() ? resolve() : waiters.push(check));
      check();
    });
  return {
    source,
    received,
    completed,
    errors,
    opened: (count: number) => until(() => opens >= count),
    errored: () => until(() => source.readyState !== EventSource.OPEN),
    closed: () => until(() => source.readyState === EventSource.CLOSED),
    until,
    messages: (count: number) => until(() => received.length >= count),
  };
}

/** A plain HTTP reader of an event stream: each message's id and `data` as they arrive. */
function readEvents(response: globalThis.Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let more = () => undefined as void;
  let over = false;
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += value;
        more();
      }
    } catch {
      // The server dropped the connection.
    } finally {
      over = true;
      more();
    }
  })();
  /** The next `count` messages with data (comments skipped), waiting for them to arrive. */
  async function next(count: number): Promise<{ id: string; data: string }[]> {
    const messages: { id: string; data: string }[] = [];
    while (messages.length < count) {
      const end = buffer.indexOf('\n\n');
      if (end < 0) {
        if (over) throw new Error('the stream ended');
        await new Promise<void>((resolve) => (more = resolve));
        continue;
      }
      const block = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const field = (name: string) =>
        block.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      const data = field('data');
      if (data !== undefined) messages.push({ id: field('id') ?? '', data });
    }
    return messages;
  }
  return { next, ended: () => ended, cancel: () => reader.cancel() };
}

const byOperation = (received: readonly Received[], operation: string) =>
  received.filter((r) => r.operation === operation).map((r) => r.n);

describe('an EventSource on a reservation', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('reconnects with Last-Event-ID and gets every message it missed once, in order, for every operation', async () => {
    const { hub, pipeline } = stack.gateway.events;
    const { status, token } = await reserve(stack, stack.adminKey);
    expect(status).toBe(201);
    const control = controlledAgent();
    const es = openReservation(stack, token, control);
    await es.opened(1);
    let opened = hub.opened;
    // One operation per contract, live.
    expect(await start(stack, stack.adminKey, token, 'even', { contractId: contractOf(0) })).toBe(202);
    expect(await start(stack, stack.adminKey, token, 'odd', { contractId: contractOf(1) })).toBe(202);
    await hub.untilCount('opened', (opened += 2));
    for (const n of [1, 2, 3, 4]) expect(await probe(stack, 600 + n)).toBe(202);
    await es.messages(4);
    // A third operation that replays from a cursor while the other two are live: its frames interleave
    // with theirs out of cursor order.
    const first = es.received.find((r) => r.n === 601)!;
    expect(
      await start(stack, stack.adminKey, token, 'replay', { contractId: contractOf(0), after: first.cursor }),
    ).toBe(202);
    await hub.untilCount('opened', (opened += 1));
    await es.messages(6);

    const release = control.drop();
    await es.errored();
    // Happening while the browser is away.
    for (const n of [5, 6, 7, 8]) expect(await probe(stack, 600 + n)).toBe(202);
    await pipeline.idle();
    release();
    await es.opened(2);
    for (const n of [9, 10]) expect(await probe(stack, 600 + n)).toBe(202);
    await es.messages(15);
    es.source.close();
    await control.agent.close();

    expect(byOperation(es.received, 'even')).toEqual([602, 604, 606, 608, 610]);
    expect(byOperation(es.received, 'odd')).toEqual([601, 603, 605, 607, 609]);
    expect(byOperation(es.received, 'replay')).toEqual([602, 604, 606, 608, 610]);
    // The stream's own message ids, one per message, counting up across the reconnection.
    expect(es.received.map((r) => Number(r.messageId))).toEqual(es.received.map((_, i) => i + 1));
    expect(es.completed).toEqual([]);
    expect(es.errors).toEqual([]);
  });

  it('takes the stream over when the client reconnects before the server saw its old connection close', async () => {
    const { hub } = stack.gateway.events;
    const { token } = await reserve(stack, stack.adminKey);
    const url = `${stack.graphqlUrl}/stream?token=${token}`;
    const accept = { accept: 'text/event-stream' };
    const old = await fetch(url, { headers: accept });
    expect(old.status).toBe(200);
    const oldEvents = readEvents(old);
    const opened = hub.opened;
    expect(await start(stack, stack.adminKey, token, 'x', { contractId: contractOf(0) })).toBe(202);
    await hub.untilCount('opened', opened + 1);
    for (const n of [700, 702]) expect(await probe(stack, n)).toBe(202);
    expect((await oldEvents.next(2)).map((m) => m.id)).toEqual(['1', '2']);

    // As after a network change: the client processed message 1 only and connects again.
    const taken = await fetch(url, { headers: { ...accept, 'last-event-id': '1' } });
    expect(taken.status).toBe(200);
    const events = readEvents(taken);
    await oldEvents.ended();
    expect(await probe(stack, 704)).toBe(202);
    const messages = (await events.next(2)).map((m) => ({
      id: m.id,
      n: (JSON.parse(m.data) as Next).payload,
    }));
    expect(messages.map(({ id, n }) => [id, n.data?.billwerkEvents.payload.N])).toEqual([
      ['2', 702],
      ['3', 704],
    ]);
    await events.cancel();
  });

  it('cannot resume after an id it never sent: 409, and the reservation is given up', async () => {
    const { hub } = stack.gateway.events;
    const { token } = await reserve(stack, stack.adminKey);
    const control = controlledAgent();
    const es = openReservation(stack, token, control);
    await es.opened(1);
    const [opened, closedBefore] = [hub.opened, hub.closed];
    expect(await start(stack, stack.adminKey, token, 'only', {})).toBe(202);
    await hub.untilCount('opened', opened + 1);
    const release = control.drop();
    await es.errored();
    const response = await fetch(`${stack.graphqlUrl}/stream?token=${token}`, {
      headers: { accept: 'text/event-stream', 'last-event-id': '99' },
    });
    expect(response.status).toBe(409);
    await response.arrayBuffer();
    await hub.untilCount('closed', closedBefore + 1);
    release();
    await es.closed();
    await control.agent.close();
  });
});

describe('a reservation nobody reconnects to', () => {
  const CALLER = 'partner-reservation-key-0123456789';
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        API_KEYS: JSON.stringify([apiKey(CALLER, { id: 'r', role: 'readonly' })]),
        // A reservation and one operation fill this caller's slots.
        MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
        SSE_RESERVATION_TIMEOUT_MS: '300',
      },
    });
  });
  afterAll(() => stack.close());

  it('gives the slot of a subscription that ended by itself back while its reservation goes on', async () => {
    const { hub } = stack.gateway.events;
    const { token } = await reserve(stack, CALLER);
    const es = openReservation(stack, token);
    await es.opened(1);
    // Refused as it starts (a cursor of no gateway): an error, then `complete`.
    expect(await start(stack, CALLER, token, 'bad', { after: 'not-a-cursor' })).toBe(202);
    await es.until(() => es.completed.includes('bad'));
    const opened = hub.opened;
    expect(await start(stack, CALLER, token, 'good', {})).toBe(202);
    await hub.untilCount('opened', opened + 1);
    expect(es.completed).toEqual(['bad']);
    expect(es.errors).toEqual(['bad: BAD_USER_INPUT']);
    const closed = hub.closed;
    es.source.close();
    await hub.untilCount('closed', closed + 1);
  });

  it('is given up after SSE_RESERVATION_TIMEOUT_MS, its operations ended and its slots freed', async () => {
    const { hub } = stack.gateway.events;
    const { status, token } = await reserve(stack, CALLER);
    expect(status).toBe(201);
    const es = openReservation(stack, token);
    await es.opened(1);
    const opened = hub.opened;
    expect(await start(stack, CALLER, token, 'one', {})).toBe(202);
    await hub.untilCount('opened', opened + 1);
    // Both slots taken.
    expect((await reserve(stack, CALLER)).status).toBe(400);

    const closedBefore = hub.closed;
    es.source.close();
    await hub.untilCount('closed', closedBefore + 1);
    const again = await reserve(stack, CALLER);
    expect(again.status).toBe(201);
    // The old token names nothing any more.
    const stale = await fetch(`${stack.graphqlUrl}/stream?token=${token}`, {
      headers: { accept: 'text/event-stream', 'last-event-id': '0' },
    });
    expect(stale.status).not.toBe(200);
    await stale.arrayBuffer();
    // The new reservation holds one slot, so one operation fits again.
    const fresh = openReservation(stack, again.token);
    await fresh.opened(1);
    expect(await start(stack, CALLER, again.token, 'two', {})).toBe(202);
    await hub.untilCount('opened', opened + 2);
    fresh.source.close();
  });
});
