// Driving subscribers: client processes started and connected, events sent one at a time and followed
// until every subscriber has them, and the phases of several servers interleaved so that whatever else
// the machine does at the time falls on all of them alike.
import path from 'node:path';
import { z } from 'zod';
import { startChild, type Child, type CpuUsage } from '../lib/child.js';
import { round2, summarize } from '../lib/stats.js';
import {
  BENCH_ADMIN_KEY,
  connectReportSchema,
  progressSchema,
  samplesSchema,
  sharedNow,
  type ConnectReport,
  type Samples,
} from './protocol.js';
import { type Delivery } from './result.js';
import { type Server } from './servers.js';

/** Processes the subscribers of one server are spread over (each opens its share of the sockets). */
export const CLIENT_PROCESSES = 2;
/** Events sent to each server before measuring. */
export const WARMUP_EVENTS = 5;
/** Least time between two events; each also waits until the previous one reached everyone. */
export const INTERVAL_MS = 100;
/** Turns each server gets per phase; the order alternates from turn to turn. */
export const TURNS = 5;
/** An event not everywhere after this long is counted as lost where it is missing. */
const DELIVERY_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 90_000;
/** Handshakes in flight per client process: the server's accept backlog (511) never overflows. */
const CONNECT_CONCURRENCY = 64;
const POLL_MS = 10;

export const log = (message: string) => process.stderr.write(`[subscriptions] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const cpuMs = (a: CpuUsage, b: CpuUsage) => (b.user - a.user + (b.system - a.system)) / 1000;

/** Polls `done` until it holds or `timeoutMs` passes; says which. */
export async function waitUntil(done: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = sharedNow() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (sharedNow() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

export interface Clients {
  children: Child[];
  reports: ConnectReport[];
  /** Subscriptions sent (graphql-transport-ws) or sockets open (plain). */
  subscribed: number;
}

let clockSkewMs = 0;
/** Largest |offset| + uncertainty seen between this process's clock and a client's, ms. */
export const clockSkew = () => round2(clockSkewMs);

/**
 * Latency subtracts the sender's clock from a client's: both are `sharedNow()`, which should agree
 * across processes. Checked by asking each client for its time (the best of five round trips).
 */
async function checkClock(child: Child): Promise<void> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i += 1) {
    const sent = sharedNow();
    const theirs = await child.call('clock', z.number());
    const back = sharedNow();
    best = Math.min(best, Math.abs(theirs - (sent + back) / 2) + (back - sent) / 2);
  }
  clockSkewMs = Math.max(clockSkewMs, best);
}

export async function startClients(
  server: Server,
  subscriptions: number,
  operations: string[],
  perSocket = 1,
): Promise<Clients> {
  const sockets = Math.ceil(subscriptions / perSocket);
  const children = await Promise.all(
    Array.from({ length: CLIENT_PROCESSES }, (_, i) =>
      startChild(path.join(import.meta.dirname, 'clients.js'), {
        url: server.wsUrl,
        protocol: server.protocol,
        sockets: Math.floor((sockets + i) / CLIENT_PROCESSES),
        subscriptionsPerSocket: perSocket,
        connectionParams: { authorization: `Bearer ${BENCH_ADMIN_KEY}` },
        operations: operations.map((query) => ({ query })),
        connectConcurrency: CONNECT_CONCURRENCY,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      }),
    ),
  );
  for (const child of children) await checkClock(child);
  const reports = await Promise.all(children.map((child) => child.call('connect', connectReportSchema)));
  const subscribed = sum(reports.map((r) => r.subscribed));
  const failed = sum(reports.map((r) => r.failed));
  const opened = sum(reports.map((r) => r.opened));
  log(
    `${server.name}: ${subscribed} subscriptions on ${opened} sockets in ${Math.max(...reports.map((r) => r.ms))} ms` +
      (failed ? `, ${failed} sockets failed (${reports.find((r) => r.firstError)?.firstError})` : ''),
  );
  return { children, reports, subscribed };
}

export async function closeClients(server: Server, clients: Clients): Promise<void> {
  await Promise.all(clients.children.map((child) => child.close()));
  if (!(await waitUntil(async () => (await server.open()) === 0, 30_000)))
    log(`${server.name}: subscriptions still open 30 s after their clients left`);
}

/** Subscribes and waits until the server has every subscription open; closes the clients afterwards. */
export async function withClients<T>(
  server: Server,
  subscriptions: number,
  operations: string[],
  run: (clients: Clients) => Promise<T>,
): Promise<T> {
  const clients = await startClients(server, subscriptions, operations);
  try {
    if (clients.subscribed < subscriptions)
      throw new Error(`${server.name}: only ${clients.subscribed} of ${subscriptions} subscribed`);
    if (!(await waitUntil(async () => (await server.open()) >= subscriptions, 30_000)))
      throw new Error(`${server.name}: the subscriptions did not all open within 30 s`);
    return await run(clients);
  } finally {
    await closeClients(server, clients);
  }
}

export const progressOf = async (clients: Clients) => {
  const all = await Promise.all(clients.children.map((c) => c.call('progress', progressSchema)));
  return { received: sum(all.map((p) => p.received)), errors: sum(all.map((p) => p.errors)) };
};

/**
 * Sends `count` events, each after the previous one reached every subscriber (or timed out) and at least
 * INTERVAL_MS after the previous one was sent, so that events never overlap. A subscription that misses
 * an event does not hold up the following ones: what timed out is subtracted from the next target.
 */
async function sendEvents(
  server: Server,
  clients: Clients,
  count: number,
  first: number,
  afterEach?: () => Promise<void>,
): Promise<number[]> {
  const posts: number[] = [];
  const base = (await progressOf(clients)).received;
  let missing = 0;
  for (let k = 0; k < count; k += 1) {
    const started = sharedNow();
    posts.push(await server.send(first + k));
    const target = base + (k + 1) * clients.subscribed - missing;
    let received = 0;
    const delivered = await waitUntil(async () => {
      received = (await progressOf(clients)).received;
      return received >= target;
    }, DELIVERY_TIMEOUT_MS);
    if (!delivered) missing += target - received;
    await afterEach?.();
    const rest = started + INTERVAL_MS - sharedNow();
    if (rest > 0) await sleep(rest);
  }
  return posts;
}

/** Warm-up for one server: events that are sent and delivered but not measured. */
export async function warmUp(server: Server, clients: Clients): Promise<void> {
  await sendEvents(server, clients, WARMUP_EVENTS, 1_000_000);
  await Promise.all(clients.children.map((c) => c.call('reset', z.unknown())));
}

/** One of the gateway's `next` frames exactly as a client received it. */
export async function frameOf(clients: Clients): Promise<string> {
  for (const child of clients.children) {
    const frame = await child.call('frame', z.string().nullable());
    if (frame !== null) return frame;
  }
  throw new Error('no client received a frame to copy');
}

function merge(all: Samples[]) {
  const perEvent = new Map<number, { firstMs: number; lastMs: number }>();
  for (const samples of all) {
    for (const e of samples.perEvent) {
      const seen = perEvent.get(e.n);
      if (!seen) perEvent.set(e.n, { firstMs: e.firstMs, lastMs: e.lastMs });
      else {
        seen.firstMs = Math.min(seen.firstMs, e.firstMs);
        seen.lastMs = Math.max(seen.lastMs, e.lastMs);
      }
    }
  }
  return {
    latencies: all.flatMap((s) => s.latencies),
    perEvent: [...perEvent.values()],
    unique: sum(all.map((s) => s.unique)),
    duplicates: sum(all.map((s) => s.duplicates)),
    errors: sum(all.map((s) => s.errors + s.unexpectedCloses)),
    frame: all.find((s) => s.frame !== null)?.frame ?? null,
  };
}

const spread = (values: number[]) =>
  values.length === 0
    ? null
    : { min: Math.min(...values), max: Math.max(...values), mean: round2(sum(values) / values.length) };

export interface Side {
  server: Server;
  clients: Clients;
}

/**
 * The measured events of a phase: TURNS turns per server of `events / TURNS` events each, the order
 * alternating, with each server's and its clients' CPU time taken around its own turns and the
 * gateway's fan-out counters read after every event (one event alone in each reading).
 */
export async function measure(sides: Side[], events: number): Promise<Delivery[]> {
  const perTurn = Math.ceil(events / TURNS);
  const totals = sides.map(() => ({
    posts: [] as number[],
    serverCpuMs: 0,
    clientCpuMs: 0,
    executions: [] as number[],
    shared: [] as number[],
    serialisations: [] as number[],
  }));
  for (let turn = 0; turn < TURNS; turn += 1) {
    const order = sides.map((_, i) => i);
    if (turn % 2 === 1) order.reverse();
    for (const i of order) {
      const { server, clients } = sides[i]!;
      const total = totals[i]!;
      const count = Math.min(perTurn, events - turn * perTurn);
      if (count <= 0) continue;
      let counters = await server.fanout();
      const afterEach = async () => {
        const now = await server.fanout();
        if (now && counters) {
          total.executions.push(now.executions - counters.executions);
          total.shared.push(now.shared - counters.shared);
          total.serialisations.push(now.serialisations - counters.serialisations);
        }
        counters = now;
      };
      const cpu = () => Promise.all([server.child.cpu(), ...clients.children.map((c) => c.cpu())]);
      const before = await cpu();
      total.posts.push(...(await sendEvents(server, clients, count, turn * perTurn, afterEach)));
      const after = await cpu();
      total.serverCpuMs += cpuMs(before[0], after[0]);
      total.clientCpuMs += sum(before.slice(1).map((b, k) => cpuMs(b, after[k + 1]!)));
    }
  }
  return Promise.all(
    sides.map(async ({ server, clients }, i): Promise<Delivery> => {
      const total = totals[i]!;
      const merged = merge(await Promise.all(clients.children.map((c) => c.call('samples', samplesSchema))));
      const expected = events * clients.subscribed;
      const delivery: Delivery = {
        subscribers: clients.subscribed,
        events,
        expected,
        received: merged.unique,
        lost: expected - merged.unique,
        duplicates: merged.duplicates,
        errors: merged.errors,
        latency: summarize(merged.latencies),
        firstReceipt: summarize(merged.perEvent.map((e) => e.firstMs)),
        lastReceipt: summarize(merged.perEvent.map((e) => e.lastMs)),
        postMs: summarize(total.posts),
        serverCpuMsPerEvent: round2(total.serverCpuMs / events),
        clientCpuMsPerEvent: round2(total.clientCpuMs / events),
        frameBytes: merged.frame === null ? 0 : Buffer.byteLength(merged.frame),
        executionsPerEvent: spread(total.executions),
        sharedPerEvent: spread(total.shared),
        serialisationsPerEvent: spread(total.serialisations),
      };
      const { p50Ms, p99Ms } = delivery.latency;
      log(
        `${server.name}, ${delivery.subscribers} subscribers: p50 ${p50Ms} ms, p99 ${p99Ms} ms, ` +
          `${delivery.received}/${expected} received, server ${delivery.serverCpuMsPerEvent} ms CPU per event`,
      );
      return delivery;
    }),
  );
}
