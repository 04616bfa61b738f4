// The two servers under test as the orchestrator sees them: the gateway (events arrive as billwerk
// webhooks) and the plain ws baseline (events arrive as the frame to broadcast), each in its own process.
import path from 'node:path';
import { z } from 'zod';
import { startChild, type Child } from '../lib/child.js';
import { gatewayNodeFlags } from '../lib/node-flags.js';
import {
  BENCH_EVENT,
  BENCH_WEBHOOK_AUTH,
  baselineStatsSchema,
  gatewayStatsSchema,
  sharedNow,
  type ClientConfig,
  type FanoutCounters,
  type GatewayConfig,
  type Memory,
} from './protocol.js';

/** Sends event number `n`; resolves with the sender's round trip, ms. */
export type Send = (n: number) => Promise<number>;

export interface Server {
  name: 'gateway' | 'baseline';
  child: Child;
  wsUrl: string;
  protocol: ClientConfig['protocol'];
  /** Subscriptions (gateway: open event streams) or sockets (baseline) open now. */
  open(): Promise<number>;
  /** Full collection, then memory and what is open. */
  collect(): Promise<{ open: number; memory: Memory }>;
  /** The gateway's fan-out counters; null for the baseline, which has none. */
  fanout(): Promise<FanoutCounters | null>;
  /** Event `n` for this server, stamped with the moment it is sent. */
  send: Send;
}

async function post(url: string, body: () => string, headers: Record<string, string>, status: number) {
  const sent = sharedNow();
  const response = await fetch(url, { method: 'POST', headers, body: body() });
  await response.arrayBuffer();
  if (response.status !== status) throw new Error(`${url} answered ${response.status}, not ${status}`);
  return sharedNow() - sent;
}

const basic = `Basic ${Buffer.from(`${BENCH_WEBHOOK_AUTH.user}:${BENCH_WEBHOOK_AUTH.password}`).toString('base64')}`;

export async function startGateway(config: GatewayConfig): Promise<Server> {
  const child = await startChild(path.join(import.meta.dirname, 'gateway.js'), config, [
    '--expose-gc',
    ...gatewayNodeFlags(),
  ]);
  const stats = () => child.call('stats', gatewayStatsSchema);
  return {
    name: 'gateway',
    child,
    wsUrl: `${child.url.replace(/^http/, 'ws')}/graphql`,
    protocol: 'graphql-transport-ws',
    open: async () => (await stats()).hub.size,
    collect: async () => {
      const after = await child.call('gc', gatewayStatsSchema);
      return { open: after.hub.size, memory: after.memory };
    },
    fanout: async () => (await stats()).fanout,
    // A billwerk-style notice carrying its own number and the moment it was sent.
    send: (n) =>
      post(
        `${child.url}/webhooks/billwerk`,
        () => JSON.stringify({ Event: BENCH_EVENT, N: n, SentAt: sharedNow() }),
        { 'content-type': 'application/json', authorization: basic },
        202,
      ),
  };
}

/**
 * The baseline, given a way to get one of the gateway's `next` frames: each event is that frame with its
 * own `N` and `SentAt` written in, so both servers push the same bytes.
 */
export async function startBaseline(frame: () => string): Promise<Server> {
  const child = await startChild(path.join(import.meta.dirname, 'baseline.js'), {}, ['--expose-gc']);
  return {
    name: 'baseline',
    child,
    wsUrl: child.url.replace(/^http/, 'ws'),
    protocol: 'plain',
    open: async () => (await child.call('stats', baselineStatsSchema)).clients,
    collect: async () => {
      const after = await child.call('gc', baselineStatsSchema);
      return { open: after.clients, memory: after.memory };
    },
    fanout: () => Promise.resolve(null),
    send: (n) =>
      post(
        `${child.url}/broadcast`,
        () =>
          frame()
            .replace(/"N":\d+/, `"N":${n}`)
            .replace(/"SentAt":[\d.e+-]+/, `"SentAt":${sharedNow()}`),
        { 'content-type': 'application/json' },
        204,
      ),
  };
}

/**
 * Starts the gateway's CPU profiler, or stops it and says where the profile went (a no-op answering
 * null unless the gateway was given a profile folder).
 */
export const profile = (gateway: Server, what: 'start' | 'stop') =>
  gateway.child.call(what === 'start' ? 'profileStart' : 'profileStop', z.string().nullable());
