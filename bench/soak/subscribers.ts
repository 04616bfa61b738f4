// Child process: the soak's graphql-ws subscribers. Each socket watches a few contracts (one subscription
// each); some sockets stay connected the whole run, the others drop and reconnect in turn, every other
// reconnect resuming each subscription with `after` its last cursor. Every change the sender makes carries
// a per-contract number, so a subscription's view shows what it lost, repeated or got out of order.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { childConfig, serveParent } from '../lib/child.js';
import { summarize } from '../lib/stats.js';
import {
  SOAK_ADMIN_KEY,
  sharedNow,
  subscribersConfigSchema,
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
}

interface Socket {
  client: Client;
  watches: Watch[];
  connected: boolean;
  /** Dropped on purpose: what its subscriptions report from now on is not an error. */
  dropped: boolean;
}

const tracks: Track[] = [];
let latencies: number[] = [];
let duplicates = 0;
let outOfOrder = 0;
let errors = 0;
let reconnects = 0;
let resumed = 0;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function newTrack(contract: number, resumes: boolean): Track {
  const track: Track = { contract, first: -1, last: -1, unique: 0, open: true, resumed: resumes };
  tracks.push(track);
  return track;
}

/** One received event: timed against the sender's stamp and checked against the subscription's view. */
function receive(watch: Watch, data: unknown): void {
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
  if (track.first < 0) track.first = k;
  if (k > track.last) {
    track.last = k;
    track.unique += 1;
  } else if (k === track.last || k < track.first) duplicates += 1;
  else outOfOrder += 1;
}

function connect(contracts: number[], watches?: Watch[]): Socket {
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
    watches: watches ?? contracts.map((contract) => ({ track: newTrack(contract, false) })),
    connected: false,
    dropped: false,
  };
  for (const watch of socket.watches) {
    socket.client.subscribe(
      {
        query: SUBSCRIPTION,
        variables: { contractId: config.contracts[watch.track.contract]!, after: watch.cursor ?? null },
      },
      {
        next: (result) => {
          if (result.errors) errors += 1;
          else receive(watch, result.data);
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
const sockets = Array.from({ length: config.sockets }, (_, i) => connect(contractsOf(i)));

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
    return { track: newTrack(watch.track.contract, false) };
  });
  for (const watch of watches) if (watch.cursor !== undefined) watch.track.resumed = true;
  sockets[index] = connect(contractsOf(index), watches);
}
const churner = config.churning > 0 ? setInterval(churn, 1000 / config.reconnectsPerSecond) : undefined;

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
    /** Stops the churn; the sockets stay open for what is still on its way. */
    stopChurn: () => clearInterval(churner),
    tracks: (): Track[] => tracks,
  },
  async () => {
    clearInterval(churner);
    await Promise.all(sockets.map(async (socket) => socket.client.dispose()));
  },
);
