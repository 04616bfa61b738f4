// Child process: the soak's graphql-ws subscribers. Each socket watches a few contracts (one subscription
// each); some sockets stay connected the whole run, the others drop and reconnect in turn, every other
// reconnect resuming each subscription with `after` its last cursor. The sockets connect at a steady rate
// at the start, as clients arrive. Every change the sender makes carries a per-contract number, so a
// subscription's view shows what it lost, repeated or got out of order.
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { childConfig, serveParent } from '../lib/child.js';
import { summarize } from '../lib/stats.js';
import { decodeEventCursor } from '../../src/events/cursor.js';
import {
  SOAK_ADMIN_KEY,
  sharedNow,
  subscribersConfigSchema,
  type Delivery,
  type Repeat,
  type SubscribersSample,
  type Track,
} from './protocol.js';

const config = childConfig(subscribersConfigSchema);

const SUBSCRIPTION = `subscription Soak($contractId: ID!, $after: String) {
  billwerkEvents(contractId: $contractId, after: $after) { cursor payload }
}`;

interface Watch {
  track: Track;
  cursor?: string;
  /** The view's latest deliveries by change number, to show both copies of a repeated one. */
  recent: Map<number, Delivery>;
}

interface Socket {
  client: Client;
  watches: Watch[];
  connected: boolean;
  /** Dropped on purpose: what its subscriptions report from now on is not an error. */
  dropped: boolean;
  /** Its place among the sockets, and how many sockets held that place before it. */
  slot: number;
  generation: number;
}

/** One subscribe of a watch on a socket, for the record of a repeated change. */
interface Subscription {
  socket: Socket;
  after: number | null;
  sentAt: number;
}

const RECENT_PER_VIEW = 16;
const MAX_REPEATS_KEPT = 1000;
const repeats: Repeat[] = [];

const tracks: Track[] = [];
let latencies: number[] = [];
let duplicates = 0;
let outOfOrder = 0;
let errors = 0;
let reconnects = 0;
let resumed = 0;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function newWatch(contract: number): Watch {
  const track: Track = { contract, first: -1, last: -1, unique: 0, open: true, resumed: false };
  tracks.push(track);
  return { track, recent: new Map() };
}

/** Remembers a delivery; a repeated change is recorded with the delivery it repeats. */
function remember(watch: Watch, k: number, delivery: Delivery, repeated: boolean): void {
  const { track, recent } = watch;
  if (repeated && repeats.length < MAX_REPEATS_KEPT) {
    const { contract, first, last } = track;
    const earlier = recent.get(k) ?? null;
    repeats.push({
      contract,
      soakSeq: k,
      first,
      last,
      earlier,
      latest: recent.get(last) ?? null,
      later: delivery,
    });
  }
  if (repeated) return;
  recent.set(k, delivery);
  if (recent.size > RECENT_PER_VIEW) recent.delete(recent.keys().next().value!);
}

/** One received event: timed against the sender's stamp and checked against the subscription's view. */
function receive(watch: Watch, subscription: Subscription, data: unknown): void {
  const at = sharedNow();
  const event = isRecord(data) && isRecord(data.billwerkEvents) ? data.billwerkEvents : undefined;
  const payload = event && isRecord(event.payload) ? event.payload : undefined;
  const k = payload?.SoakSeq;
  const sentAt = payload?.SentAt;
  if (typeof k !== 'number' || typeof sentAt !== 'number' || typeof event?.cursor !== 'string') {
    errors += 1;
    return;
  }
  latencies.push(at - sentAt);
  watch.cursor = event.cursor;
  const { track } = watch;
  const delivery: Delivery = {
    socket: subscription.socket.slot,
    generation: subscription.socket.generation,
    after: subscription.after,
    cursor: decodeEventCursor(event.cursor),
    atMs: Math.round((at - subscription.sentAt) * 100) / 100,
    afterDrop: subscription.socket.dropped,
  };
  if (track.first < 0) track.first = k;
  if (k > track.last) {
    track.last = k;
    track.unique += 1;
    remember(watch, k, delivery, false);
  } else if (k === track.last || k < track.first) {
    duplicates += 1;
    remember(watch, k, delivery, true);
  } else outOfOrder += 1;
}

function connect(slot: number, contracts: number[], watches?: Watch[], generation = 0): Socket {
  const socket: Socket = {
    client: createClient({
      url: config.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${SOAK_ADMIN_KEY}` },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => undefined,
      on: {
        connected: () => void (socket.connected = true),
        closed: () => void (socket.connected = false),
      },
    }),
    watches: watches ?? contracts.map(newWatch),
    connected: false,
    dropped: false,
    slot,
    generation,
  };
  for (const watch of socket.watches) {
    const subscription: Subscription = {
      socket,
      after: watch.cursor === undefined ? null : decodeEventCursor(watch.cursor),
      sentAt: sharedNow(),
    };
    socket.client.subscribe(
      {
        query: SUBSCRIPTION,
        variables: { contractId: config.contracts[watch.track.contract]!, after: watch.cursor ?? null },
      },
      {
        next: (result) => {
          if (result.errors) errors += 1;
          else receive(watch, subscription, result.data);
        },
        error: () => {
          if (!socket.dropped) errors += 1;
        },
        complete: () => undefined,
      },
    );
  }
  return socket;
}

const contractsOf = (socketIndex: number) =>
  Array.from(
    { length: config.subscriptionsPerSocket },
    (_, j) => (socketIndex * config.subscriptionsPerSocket + j) % config.contracts.length,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the client has connected, or closed without having connected. */
function settled(client: Client): Promise<void> {
  return new Promise((resolve) => {
    const listening: (() => void)[] = [];
    const done = () => {
      for (const stop of listening) stop();
      resolve();
    };
    listening.push(client.on('connected', done), client.on('closed', done));
  });
}

const sockets: Socket[] = [];
let closing = false;
/**
 * Opens the sockets at `socketsPerSecond`, as clients arrive, and resolves with how many are connected
 * once each has connected (or failed to). All in one instant, their thousands of subscribes were one busy
 * run of the gateway's core and starved the load generator beside them, a storm no client population makes.
 */
async function rampUp(): Promise<number> {
  const start = performance.now();
  const settling: Promise<void>[] = [];
  for (let i = 0; i < config.sockets && !closing; i += 1) {
    await sleep(start + (i * 1000) / config.socketsPerSecond - performance.now());
    const socket = connect(i, contractsOf(i));
    sockets.push(socket);
    settling.push(settled(socket.client));
  }
  await Promise.all(settling);
  return sockets.filter((socket) => socket.connected).length;
}

/** Drops one churning socket and opens it again: resuming its subscriptions every other time. */
let turn = 0;
function churn(): void {
  const index = turn % config.churning;
  const resume = turn % 2 === 0;
  turn += 1;
  const old = sockets[index]!;
  // A socket still connecting is left for a later turn: ws throws on closing one before it opened.
  if (!old.connected) return;
  old.dropped = true;
  old.client.terminate();
  reconnects += 1;
  const watches = old.watches.map((watch): Watch => {
    if (resume && watch.cursor !== undefined) {
      resumed += 1;
      return watch;
    }
    watch.track.open = false;
    return newWatch(watch.track.contract);
  });
  for (const watch of watches) if (watch.cursor !== undefined) watch.track.resumed = true;
  sockets[index] = connect(index, contractsOf(index), watches, old.generation + 1);
}
const ramp = rampUp();
let churner: NodeJS.Timeout | undefined;
// The churn starts once every socket is open: a slot it drops is one the ramp has filled.
void ramp.then(() => {
  if (config.churning > 0 && !closing) churner = setInterval(churn, 1000 / config.reconnectsPerSecond);
});

serveParent(
  config.wsUrl,
  {
    sample: (): SubscribersSample => {
      const result: SubscribersSample = {
        delivery: summarize(latencies),
        duplicates,
        outOfOrder,
        errors,
        reconnects,
        resumed,
        open: sockets.filter((socket) => socket.connected).length,
      };
      latencies = [];
      duplicates = 0;
      outOfOrder = 0;
      errors = 0;
      reconnects = 0;
      resumed = 0;
      return result;
    },
    /** Resolves with the sockets connected once the ramp is done. */
    rampedUp: () => ramp,
    /** Stops the churn; the sockets stay open for what is still on its way. */
    stopChurn: () => clearInterval(churner),
    tracks: (): Track[] => tracks,
    repeats: (): Repeat[] => repeats,
  },
  async () => {
    closing = true;
    clearInterval(churner);
    await Promise.all(sockets.map(async (socket) => socket.client.dispose()));
  },
);
