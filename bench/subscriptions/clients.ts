// Child process: many WebSocket subscribers, either speaking graphql-transport-ws to the gateway or just
// listening to the plain ws baseline. Each receipt is timed on the moment its frame arrives, against the
// `SentAt` the sender put in the event, and counted per subscription so that losses and repeats show.
import WebSocket, { type RawData } from 'ws';
import { childConfig, serveParent } from '../lib/child.js';
import {
  BENCH_EVENT,
  clientConfigSchema,
  sharedNow,
  type ConnectReport,
  type Progress,
  type Samples,
} from './protocol.js';
import { round2 } from '../lib/stats.js';

const config = childConfig(clientConfigSchema);
const graphql = config.protocol === 'graphql-transport-ws';
const perSocket = graphql ? config.subscriptionsPerSocket : 1;

const sockets: WebSocket[] = [];
/** Events seen by each subscription (index: socket × perSocket + subscription), for losses and repeats. */
const seen: Set<number>[] = Array.from({ length: config.sockets * perSocket }, () => new Set<number>());
let latencies: number[] = [];
let perEvent = new Map<number, { count: number; firstMs: number; lastMs: number }>();
let received = 0;
let duplicates = 0;
let errors = 0;
let unexpectedCloses = 0;
let frame: string | null = null;
let closing = false;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The bench event inside a `next` frame: payload.data.billwerkEvents.payload.{N, SentAt}. Checked by
 * hand rather than by a schema because it runs once per receipt, on the same cores as the servers.
 */
function benchEventOf(message: Record<string, unknown>): { n: number; sentAt: number } | undefined {
  const { payload } = message;
  if (!isRecord(payload) || payload.errors !== undefined || !isRecord(payload.data)) return undefined;
  const event = payload.data.billwerkEvents;
  if (!isRecord(event) || !isRecord(event.payload)) return undefined;
  const { Event: name, N: n, SentAt: sentAt } = event.payload;
  if (name !== BENCH_EVENT || typeof n !== 'number' || typeof sentAt !== 'number') return undefined;
  return { n, sentAt };
}

/** Handles one frame; says 'acknowledged' when the server accepted the connection and we subscribed. */
function onMessage(socketIndex: number, socket: WebSocket, data: RawData): 'acknowledged' | undefined {
  const at = sharedNow();
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  const text = bytes.toString('utf8');
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    errors += 1;
    return;
  }
  if (!isRecord(message)) {
    errors += 1;
    return;
  }
  if (graphql) {
    if (message.type === 'connection_ack') {
      for (let k = 1; k <= perSocket; k += 1) {
        const operation = config.operations[(socketIndex * perSocket + k - 1) % config.operations.length]!;
        socket.send(JSON.stringify({ id: String(k), type: 'subscribe', payload: operation }));
      }
      return 'acknowledged';
    }
    if (message.type === 'ping') {
      socket.send(JSON.stringify({ type: 'pong' }));
      return;
    }
    if (message.type !== 'next') {
      errors += 1;
      return;
    }
  }
  const event = benchEventOf(message);
  if (!event) {
    errors += 1;
    return;
  }
  const subscription = graphql ? Number(message.id) - 1 : 0;
  const receipts = seen[socketIndex * perSocket + subscription];
  if (!receipts || receipts.has(event.n)) {
    duplicates += 1;
    return;
  }
  receipts.add(event.n);
  received += 1;
  frame ??= text;
  const latency = at - event.sentAt;
  latencies.push(latency);
  const times = perEvent.get(event.n);
  if (!times) perEvent.set(event.n, { count: 1, firstMs: latency, lastMs: latency });
  else {
    times.count += 1;
    times.firstMs = Math.min(times.firstMs, latency);
    times.lastMs = Math.max(times.lastMs, latency);
  }
}

/** Opens socket `index`; resolves true once it is subscribed (or open, for plain), false on failure. */
function open(index: number, firstError: { message: string | null }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(config.url, graphql ? 'graphql-transport-ws' : undefined, {
      perMessageDeflate: false,
    });
    sockets[index] = socket;
    let settled = false;
    const settle = (ok: boolean, error?: string) => {
      if (!ok && error !== undefined) firstError.message ??= error;
      if (!settled) resolve(ok);
      settled = true;
    };
    socket.on('message', (data) => {
      if (onMessage(index, socket, data) === 'acknowledged') settle(true);
    });
    socket.once('open', () => {
      if (graphql) socket.send(JSON.stringify({ type: 'connection_init', payload: config.connectionParams }));
      else settle(true);
    });
    socket.on('error', (error) => settle(false, error.message));
    socket.once('close', (code, reason) => {
      if (!closing) unexpectedCloses += 1;
      settle(false, `closed ${code} ${reason.toString()}`);
    });
  });
}

async function connect(): Promise<ConnectReport> {
  const started = sharedNow();
  const deadline = started + config.connectTimeoutMs;
  const firstError = { message: null as string | null };
  let next = 0;
  let opened = 0;
  let failed = 0;
  const worker = async () => {
    while (next < config.sockets && sharedNow() < deadline) {
      const index = next;
      next += 1;
      if (await open(index, firstError)) opened += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.connectConcurrency, config.sockets) }, worker));
  return {
    opened,
    failed,
    subscribed: opened * perSocket,
    firstError: firstError.message,
    ms: Math.round(sharedNow() - started),
  };
}

function reset(): void {
  for (const receipts of seen) receipts.clear();
  latencies = [];
  perEvent = new Map();
  received = 0;
  duplicates = 0;
}

function samples(): Samples {
  return {
    latencies: latencies.map(round2),
    perEvent: [...perEvent.entries()].map(([n, t]) => ({
      n,
      count: t.count,
      firstMs: round2(t.firstMs),
      lastMs: round2(t.lastMs),
    })),
    unique: seen.reduce((sum, receipts) => sum + receipts.size, 0),
    duplicates,
    errors,
    unexpectedCloses,
    frame,
  };
}

/** Closes every socket politely, and whatever has not closed after a while abruptly. */
async function closeAll(): Promise<void> {
  closing = true;
  const open = sockets.filter((s) => s.readyState !== WebSocket.CLOSED);
  const closed = Promise.all(
    open.map((s) => new Promise<void>((resolve) => (s.once('close', () => resolve()), s.close(1000)))),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 3_000)))]);
  clearTimeout(timer);
  for (const s of open) s.terminate();
}

serveParent(
  '',
  {
    connect,
    progress: (): Progress => ({ received, errors, unexpectedCloses }),
    reset,
    samples,
    frame: () => frame,
    clock: sharedNow,
  },
  closeAll,
);
