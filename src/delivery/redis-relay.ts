// What makes several instances on one Redis act as one gateway:
// - the enrichment lease: one instance at a time (the holder) reads the inbox through a consumer group
//   and runs the pipeline, contracts in parallel and each contract in billwerk's order. Its lease expires
//   unless renewed, so when it dies another instance takes it over and, with XAUTOCLAIM, the entries the
//   dead one had read but not published (the group's pending list); publishing is fenced by the lease.
// - the published tail: every instance reads the published stream once, through the newest mark (a
//   blocking XREAD on the marks stream on its own connection, then XRANGE; redis-event-log.ts says why),
//   drops the cache entries each event names, and hands the event to its local hub, which fans it out to
//   this instance's sockets.
import { randomUUID } from 'node:crypto';
import { type Redis } from 'ioredis';
import { type BillwerkReader } from '../loaders/reader.js';
import { type Logger } from '../logger.js';
import { invalidateFor } from './enrich.js';
import { type EventHub } from './hub.js';
import { type ParsedNotice } from '../events/notice.js';
import { type EventPipeline } from './pipeline.js';
import { createPauses, type Pauses } from './pauses.js';
import { type Relay } from './relay.js';
import {
  createRedisMarks,
  type RedisMarks,
  fieldsOf,
  publishedEvent,
  seqOf,
  type RedisEventKeys,
} from '../events/redis-event-log.js';
import { noticeFromText } from '../events/stored-event.js';

export interface RedisRelayOptions {
  /** Ordinary commands (lease, claims). */
  redis: Redis;
  /** Opens a connection of its own for a blocking reader. */
  blocking: (name: string) => Redis;
  keys: RedisEventKeys;
  pipeline: EventPipeline;
  hub: Pick<EventHub, 'publish'>;
  reader: BillwerkReader;
  logger: Logger;
  /** This instance's name in the consumer group and on the events it publishes. */
  instanceId: string;
  /** How long the lease lasts without renewal (how long a dead holder delays enrichment). @default 5000 */
  leaseMs?: number;
  /** How long one blocking read waits before it looks again. @default 2000 */
  blockMs?: number;
  /**
   * With REDIS_WAIT_REPLICAS: WAIT on the commands connection (connection.ts). A new lease holder marks
   * what earlier holders published but could not mark once it is replicated.
   */
  replicated?: () => Promise<void>;
}

export interface RedisRelay extends Relay {
  /** The lease token while this instance holds the enrichment lease (what fences its publications). */
  leaseToken(): string | undefined;
  /** Events handed to the local hub so far. */
  readonly delivered: number;
  /** The publication sequence through which the tail has handed events to the local hub. */
  readonly followedThrough: number;
  /** Starts following the published stream from its current end, and competing for the lease. */
  start(): Promise<void>;
  /** Stops reading, gives the lease back and waits for the loops to end. */
  close(): Promise<void>;
}

// KEYS: lease. ARGV: token, ttl ms. Renews the lease if this token holds it.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
// KEYS: lease, inbox. ARGV: token, group, consumer, count. Reads new inbox entries for the group only
// while this token holds the lease, so no entry is handed to an instance that lost it. Returns false
// when the lease is not held, else {entries, id of the newest entry in the inbox}.
const READ = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[2], ARGV[3], 'COUNT', ARGV[4], 'STREAMS', KEYS[2], '>')
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
local entries = {}
if reply then entries = reply[1][2] end
return {entries, newest and newest[1] or '0-0'}
`;
// KEYS: lease. ARGV: token. Gives the lease back if this token holds it.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type Entry = [id: string, fields: string[]];

/** The scripts above, as ioredis defines them on the commands connection. */
type LeaseScripts = Record<
  'bggLeaseRenew' | 'bggLeaseRelease',
  (...args: (string | number)[]) => Promise<number>
> & { bggInboxRead: (...args: (string | number)[]) => Promise<[Entry[], string] | null> };

function defineLeaseScripts(redis: Redis): LeaseScripts {
  redis.defineCommand('bggLeaseRenew', { numberOfKeys: 1, lua: RENEW });
  redis.defineCommand('bggLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('bggInboxRead', { numberOfKeys: 2, lua: READ });
  return redis as unknown as LeaseScripts;
}

/**
 * What the relay's three loops (lease, inbox, tail) share: the options, how close() stops them, what the
 * lease holder keeps, and how far the tail has come.
 */
interface RelayState {
  readonly options: RedisRelayOptions;
  readonly leaseMs: number;
  readonly blockMs: number;
  readonly marks: RedisMarks;
  readonly scripts: LeaseScripts;

  // Stopping.
  closed: boolean;
  /** Resolves when close() is called. */
  readonly closing: Promise<void>;
  readonly signalClosed: () => void;
  /** The pauses between tries, which close() cuts short. */
  readonly pauses: Pauses;

  // The lease holder's.
  token: string | undefined;
  /** The token under which new inbox entries may be read: set once pending work was taken over. */
  readable: string | undefined;
  /** While the lease is held: whether what earlier holders published is marked readable, or when to retry. */
  settled: boolean;
  settleAfter: number;
  /** Inbox entries handed to the pipeline and not yet published or given up, with the holding they were read in. */
  readonly inFlight: Map<number, number>;
  /** Counts the holdings of the lease; what was read in one is given up when it is lost. */
  holding: number;

  // The tail's.
  delivered: number;
  followedThrough: number;
}

function relayState(options: RedisRelayOptions): RelayState {
  let signalClosed!: () => void;
  const closing = new Promise<void>((resolve) => (signalClosed = resolve));
  return {
    options,
    leaseMs: options.leaseMs ?? 5000,
    blockMs: options.blockMs ?? 2000,
    marks: createRedisMarks(options.redis, options.keys),
    scripts: defineLeaseScripts(options.redis),
    closed: false,
    closing,
    signalClosed,
    pauses: createPauses(),
    token: undefined,
    readable: undefined,
    settled: false,
    settleAfter: 0,
    inFlight: new Map(),
    holding: 0,
    delivered: 0,
    followedThrough: 0,
  };
}

/**
 * What a loop waits for, given up (undefined) when close() is called. While Redis is unreachable a
 * blocking reader's command waits in ioredis' queue for the reconnect, and a disconnect() between two
 * reconnect attempts leaves it there for good: shutdown must not wait on it.
 */
function untilClosed<T>(relay: RelayState, waiting: Promise<T>): Promise<T | undefined> {
  return Promise.race([waiting, relay.closing.then(() => undefined)]);
}

/** How often the lease is renewed (or competed for), and how often a reader without it looks again. */
const leaseCheckMs = (relay: RelayState) => Math.max(Math.floor(relay.leaseMs / 3), 50);

function submit(relay: RelayState, [id, flat]: Entry): void {
  const seq = seqOf(id);
  if (relay.inFlight.has(seq)) return;
  let notice: ParsedNotice;
  try {
    notice = noticeFromText(seq, fieldsOf(flat).n ?? '');
  } catch (error) {
    // Left in the pending list: an operator sees it there; it does not stall the events after it.
    relay.options.logger.error({ err: error, seq }, 'an inbox entry cannot be read; it is not published');
    return;
  }
  const readIn = relay.holding;
  relay.inFlight.set(seq, readIn);
  void relay.options.pipeline.submit(seq, notice).finally(() => {
    if (relay.inFlight.get(seq) === readIn) relay.inFlight.delete(seq);
  });
}

async function ensureGroup({ options: { redis, keys } }: RelayState): Promise<void> {
  try {
    await redis.xgroup('CREATE', keys.inbox, keys.group, '0', 'MKSTREAM');
  } catch (error) {
    if (!(error instanceof Error && /BUSYGROUP/.test(error.message))) throw error;
  }
}

/** Takes over inbox entries read but never published (their readers lost the lease), oldest first. */
async function claimPending(relay: RelayState): Promise<void> {
  const { redis, keys, instanceId } = relay.options;
  let cursor = '0-0';
  do {
    const [next, entries] = (await redis.xautoclaim(
      keys.inbox,
      keys.group,
      instanceId,
      0,
      cursor,
      'COUNT',
      100,
    )) as [string, Entry[], string[]?];
    for (const entry of entries) submit(relay, entry);
    cursor = next;
  } while (cursor !== '0-0' && !relay.closed && relay.token);
}

/**
 * While this instance holds the lease (and has taken over what was pending), new inbox entries go to
 * the pipeline in receipt order. Reads are fenced by the lease inside Redis; between them a blocking
 * XREAD on the inbox waits for the next entry.
 */
async function consume(relay: RelayState, connection: Redis): Promise<void> {
  const { keys, pipeline, instanceId, logger } = relay.options;
  while (!relay.closed) {
    // A backlog in the inbox is read as fast as the pipeline publishes, not as fast as Redis answers;
    // so the pending list a dead holder leaves (what claimPending takes over) is a page or two.
    await untilClosed(relay, pipeline.room());
    const held = relay.readable;
    if (!held) {
      await relay.pauses.pause(leaseCheckMs(relay));
      continue;
    }
    try {
      const reply = await relay.scripts.bggInboxRead(
        keys.lease,
        keys.inbox,
        held,
        keys.group,
        instanceId,
        100,
      );
      if (!reply) {
        if (relay.readable === held) relay.readable = undefined;
        continue;
      }
      const [entries, newest] = reply;
      for (const entry of entries) submit(relay, entry);
      if (entries.length === 0) {
        await untilClosed(
          relay,
          connection.xread('COUNT', 1, 'BLOCK', relay.blockMs, 'STREAMS', keys.inbox, newest),
        );
      }
    } catch (error) {
      if (relay.closed) return;
      // The read may have happened with its answer lost (Redis went away): the entries wait in this
      // instance's pending list, and the lease loop takes them over before anything newer is read.
      if (relay.readable === held) relay.readable = undefined;
      logger.warn({ error: (error as Error).message }, 'reading the inbox failed; retrying');
      await relay.pauses.pause(200);
    }
  }
}

/**
 * A holder that lost the lease (or stopped) between publishing an event and marking it leaves it
 * unreadable until the next mark; the new holder marks the newest published entry once it is replicated.
 * Every entry was written before this instance took the lease (later writes of others are fenced), and
 * WAIT covers all writes before this connection's last one, so replicas have them.
 */
async function settle({ options, marks }: RelayState): Promise<void> {
  if (!options.replicated) return;
  const [newest] = (await options.redis.xrevrange(options.keys.published, '+', '-', 'COUNT', 1)) as Entry[];
  if (newest && seqOf(newest[0]) > (await marks.readableThrough())) {
    await options.replicated();
    await marks.mark(seqOf(newest[0]));
  }
}

/**
 * After the lease was lost: what this instance read under it is given up (the pipeline's lanes drop it)
 * and read again, in order, by whoever holds the lease next, this instance included.
 */
function letGo(relay: RelayState): void {
  relay.holding += 1;
  relay.inFlight.clear();
  relay.options.pipeline.abandon();
}

/**
 * Renews the lease `held` (letting go of what was read under it when another instance took it), takes over
 * what is pending before new entries are read, and settles what earlier holders published.
 */
async function keepLease(relay: RelayState, held: string): Promise<void> {
  if ((await relay.scripts.bggLeaseRenew(relay.options.keys.lease, held, relay.leaseMs)) !== 1) {
    relay.options.logger.warn('enrichment lease lost to another instance');
    relay.token = undefined;
    relay.readable = undefined;
    letGo(relay);
  } else if (!relay.readable) {
    await claimPending(relay);
    if (relay.token === held) relay.readable = held;
  }
  if (relay.token === held && !relay.settled && Date.now() >= relay.settleAfter) {
    // WAIT holds the commands connection while replicas are away: at most one try a second.
    relay.settleAfter = Date.now() + 1000;
    await settle(relay);
    relay.settled = true;
  }
}

/** Competes for the lease; once won, takes over what earlier holders left before anything new is read. */
async function takeLease(relay: RelayState): Promise<void> {
  const { redis, keys, instanceId, logger } = relay.options;
  // The holder's name in the token tells an operator (and the tests) which instance holds it.
  const candidate = `${instanceId}/${randomUUID()}`;
  if ((await redis.set(keys.lease, candidate, 'PX', relay.leaseMs, 'NX')) !== 'OK') return;
  relay.token = candidate;
  relay.settled = false;
  logger.info({ instance: instanceId }, 'holding the enrichment lease');
  await ensureGroup(relay);
  // What earlier holders left goes first; only then are new entries read.
  await claimPending(relay);
  if (relay.token === candidate) relay.readable = candidate;
}

async function leaseLoop(relay: RelayState): Promise<void> {
  while (!relay.closed) {
    try {
      if (relay.token) await keepLease(relay, relay.token);
      else await takeLease(relay);
    } catch (error) {
      // Redis unreachable: the lease runs out by itself if this lasts; publications are fenced.
      relay.options.logger.debug({ error: (error as Error).message }, 'enrichment lease check failed');
    }
    await relay.pauses.pause(leaseCheckMs(relay));
  }
}

function deliver(relay: RelayState, entry: Entry): void {
  const { logger, instanceId, reader, hub } = relay.options;
  let read: ReturnType<typeof publishedEvent>;
  try {
    read = publishedEvent(entry);
  } catch (error) {
    logger.error({ err: error, entry: entry[0] }, 'a published entry cannot be read; skipped');
    return;
  }
  const { publishedBy, ...event } = read;
  // The instance that enriched the event dropped these entries already (then re-read them).
  if (publishedBy !== instanceId) invalidateFor(event.notice, reader);
  relay.delivered += 1;
  hub.publish(event);
}

async function tailLoop(relay: RelayState, connection: Redis): Promise<void> {
  const { keys, logger } = relay.options;
  // Live delivery starts at the newest mark; anything earlier is replayed by cursor.
  let started = false;
  while (!relay.closed && !started) {
    try {
      relay.followedThrough = await relay.marks.readableThrough();
      started = true;
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'redis unreachable; waiting to follow events');
      await relay.pauses.pause(500);
    }
  }
  while (!relay.closed) {
    try {
      // A new mark wakes the tail; after a failover the new primary's marks may be older than the one
      // read here (its entries up to it are the same), and the tail waits for a newer one.
      const reply = await untilClosed(
        relay,
        connection.xread(
          'COUNT',
          1000,
          'BLOCK',
          relay.blockMs,
          'STREAMS',
          keys.visible,
          `0-${relay.followedThrough}`,
        ),
      );
      const newest = reply?.[0]?.[1].at(-1);
      if (!newest) continue;
      const through = seqOf(newest[0]);
      while (!relay.closed && relay.followedThrough < through) {
        const entries = await untilClosed<Entry[]>(
          relay,
          connection.xrange(keys.published, `(0-${relay.followedThrough}`, `0-${through}`, 'COUNT', 500),
        );
        if (!entries) return;
        // None left up to the mark: pruned already (a tail far behind), nothing to hand on.
        if (entries.length === 0) relay.followedThrough = through;
        for (const entry of entries) {
          relay.followedThrough = seqOf(entry[0]);
          deliver(relay, entry);
        }
      }
    } catch (error) {
      if (relay.closed) return;
      logger.warn({ error: (error as Error).message }, 'reading published events failed; retrying');
      await relay.pauses.pause(500);
    }
  }
}

/**
 * The relay's state and its three loops: the lease (leaseLoop, on the commands connection), the inbox
 * while the lease is held (consume) and the published tail (tailLoop), each on a blocking connection of its own.
 */
export function createRedisRelay(options: RedisRelayOptions): RedisRelay {
  const relay = relayState(options);
  const loops: Promise<void>[] = [];
  const readers: Redis[] = [];
  return {
    leaseToken: () => relay.token,
    get delivered() {
      return relay.delivered;
    },
    get followedThrough() {
      return relay.followedThrough;
    },
    start() {
      const tail = options.blocking('published');
      readers.push(tail);
      const inbox = options.blocking('inbox');
      readers.push(inbox);
      loops.push(tailLoop(relay, tail).finally(() => tail.disconnect()));
      loops.push(consume(relay, inbox).finally(() => inbox.disconnect()));
      loops.push(leaseLoop(relay));
      return Promise.resolve();
    },
    async close() {
      relay.closed = true;
      relay.signalClosed();
      relay.pauses.cutShort();
      for (const connection of readers) connection.disconnect();
      // The pipeline closes beside the loops: a reader may be waiting for room in it.
      await Promise.all([...loops, options.pipeline.close()]);
      const held = relay.token;
      relay.token = undefined;
      if (held) await relay.scripts.bggLeaseRelease(options.keys.lease, held).catch(() => 0);
    },
  };
}
