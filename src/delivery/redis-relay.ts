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
import { type Relay } from './relay.js';
import {
  createRedisMarks,
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

export function createRedisRelay(options: RedisRelayOptions): RedisRelay {
  const { redis, keys, pipeline, hub, reader, logger, instanceId } = options;
  const leaseMs = options.leaseMs ?? 5000;
  const blockMs = options.blockMs ?? 2000;
  const marks = createRedisMarks(redis, keys);
  redis.defineCommand('bggLeaseRenew', { numberOfKeys: 1, lua: RENEW });
  redis.defineCommand('bggLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('bggInboxRead', { numberOfKeys: 2, lua: READ });
  const scripts = redis as unknown as Record<
    'bggLeaseRenew' | 'bggLeaseRelease',
    (...args: (string | number)[]) => Promise<number>
  > & { bggInboxRead: (...args: (string | number)[]) => Promise<[Entry[], string] | null> };

  let closed = false;
  let token: string | undefined;
  /** The token under which new inbox entries may be read: set once pending work was taken over. */
  let readable: string | undefined;
  let delivered = 0;
  let followedThrough = 0;
  /** While the lease is held: whether what earlier holders published is marked readable, or when to retry. */
  let settled = false;
  let settleAfter = 0;
  /** Inbox entries handed to the pipeline and not yet published or given up, with the holding they were read in. */
  const inFlight = new Map<number, number>();
  /** Counts the holdings of the lease; what was read in one is given up when it is lost. */
  let holding = 0;
  const loops: Promise<void>[] = [];
  const readers: Redis[] = [];
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let signalClosed!: () => void;
  const closing = new Promise<void>((resolve) => (signalClosed = resolve));

  /**
   * What a loop waits for, given up (undefined) when close() is called. While Redis is unreachable a
   * blocking reader's command waits in ioredis' queue for the reconnect, and a disconnect() between two
   * reconnect attempts leaves it there for good: shutdown must not wait on it.
   */
  const untilClosed = <T>(waiting: Promise<T>): Promise<T | undefined> =>
    Promise.race([waiting, closing.then(() => undefined)]);

  /** A pause that close() cuts short. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => finish(), ms),
        resolve: () => finish(),
      };
      function finish() {
        clearTimeout(entry.timer);
        timers.delete(entry);
        resolve();
      }
      timers.add(entry);
    });

  function submit([id, flat]: Entry): void {
    const seq = seqOf(id);
    if (inFlight.has(seq)) return;
    let notice: ParsedNotice;
    try {
      notice = noticeFromText(seq, fieldsOf(flat).n ?? '');
    } catch (error) {
      // Left in the pending list: an operator sees it there; it does not stall the events after it.
      logger.error({ err: error, seq }, 'an inbox entry cannot be read; it is not published');
      return;
    }
    const readIn = holding;
    inFlight.set(seq, readIn);
    void pipeline.submit(seq, notice).finally(() => {
      if (inFlight.get(seq) === readIn) inFlight.delete(seq);
    });
  }

  async function ensureGroup(): Promise<void> {
    try {
      await redis.xgroup('CREATE', keys.inbox, keys.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && /BUSYGROUP/.test(error.message))) throw error;
    }
  }

  /** Takes over inbox entries read but never published (their readers lost the lease), oldest first. */
  async function claimPending(): Promise<void> {
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
      for (const entry of entries) submit(entry);
      cursor = next;
    } while (cursor !== '0-0' && !closed && token);
  }

  /**
   * While this instance holds the lease (and has taken over what was pending), new inbox entries go to
   * the pipeline in receipt order. Reads are fenced by the lease inside Redis; between them a blocking
   * XREAD on the inbox waits for the next entry.
   */
  async function consume(connection: Redis): Promise<void> {
    while (!closed) {
      // A backlog in the inbox is read as fast as the pipeline publishes, not as fast as Redis answers;
      // so the pending list a dead holder leaves (what claimPending takes over) is a page or two.
      await untilClosed(pipeline.room());
      const held = readable;
      if (!held) {
        await pause(Math.max(Math.floor(leaseMs / 3), 50));
        continue;
      }
      try {
        const reply = await scripts.bggInboxRead(keys.lease, keys.inbox, held, keys.group, instanceId, 100);
        if (!reply) {
          if (readable === held) readable = undefined;
          continue;
        }
        const [entries, newest] = reply;
        for (const entry of entries) submit(entry);
        if (entries.length === 0) {
          await untilClosed(connection.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', keys.inbox, newest));
        }
      } catch (error) {
        if (closed) return;
        // The read may have happened with its answer lost (Redis went away): the entries wait in this
        // instance's pending list, and the lease loop takes them over before anything newer is read.
        if (readable === held) readable = undefined;
        logger.warn({ error: (error as Error).message }, 'reading the inbox failed; retrying');
        await pause(200);
      }
    }
  }

  /**
   * A holder that lost the lease (or stopped) between publishing an event and marking it leaves it
   * unreadable until the next mark; the new holder marks the newest published entry once it is replicated.
   * Every entry was written before this instance took the lease (later writes of others are fenced), and
   * WAIT covers all writes before this connection's last one, so replicas have them.
   */
  async function settle(): Promise<void> {
    if (!options.replicated) return;
    const [newest] = (await redis.xrevrange(keys.published, '+', '-', 'COUNT', 1)) as Entry[];
    if (newest && seqOf(newest[0]) > (await marks.readableThrough())) {
      await options.replicated();
      await marks.mark(seqOf(newest[0]));
    }
  }

  /**
   * After the lease was lost: what this instance read under it is given up (the pipeline's lanes drop it)
   * and read again, in order, by whoever holds the lease next, this instance included.
   */
  function letGo(): void {
    holding += 1;
    inFlight.clear();
    pipeline.abandon();
  }

  async function leaseLoop(): Promise<void> {
    while (!closed) {
      try {
        if (token) {
          const held = token;
          if ((await scripts.bggLeaseRenew(keys.lease, held, leaseMs)) !== 1) {
            logger.warn('enrichment lease lost to another instance');
            token = undefined;
            readable = undefined;
            letGo();
          } else if (!readable) {
            await claimPending();
            if (token === held) readable = held;
          }
          if (token === held && !settled && Date.now() >= settleAfter) {
            // WAIT holds the commands connection while replicas are away: at most one try a second.
            settleAfter = Date.now() + 1000;
            await settle();
            settled = true;
          }
        } else {
          // The holder's name in the token tells an operator (and the tests) which instance holds it.
          const candidate = `${instanceId}/${randomUUID()}`;
          if ((await redis.set(keys.lease, candidate, 'PX', leaseMs, 'NX')) === 'OK') {
            token = candidate;
            settled = false;
            logger.info({ instance: instanceId }, 'holding the enrichment lease');
            await ensureGroup();
            // What earlier holders left goes first; only then are new entries read.
            await claimPending();
            if (token === candidate) readable = candidate;
          }
        }
      } catch (error) {
        // Redis unreachable: the lease runs out by itself if this lasts; publications are fenced.
        logger.debug({ error: (error as Error).message }, 'enrichment lease check failed');
      }
      await pause(Math.max(Math.floor(leaseMs / 3), 50));
    }
  }

  function deliver(entry: Entry): void {
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
    delivered += 1;
    hub.publish(event);
  }

  async function tailLoop(connection: Redis): Promise<void> {
    // Live delivery starts at the newest mark; anything earlier is replayed by cursor.
    let started = false;
    while (!closed && !started) {
      try {
        followedThrough = await marks.readableThrough();
        started = true;
      } catch (error) {
        logger.warn({ error: (error as Error).message }, 'redis unreachable; waiting to follow events');
        await pause(500);
      }
    }
    while (!closed) {
      try {
        // A new mark wakes the tail; after a failover the new primary's marks may be older than the one
        // read here (its entries up to it are the same), and the tail waits for a newer one.
        const reply = await untilClosed(
          connection.xread('COUNT', 1000, 'BLOCK', blockMs, 'STREAMS', keys.visible, `0-${followedThrough}`),
        );
        const newest = reply?.[0]?.[1].at(-1);
        if (!newest) continue;
        const through = seqOf(newest[0]);
        while (!closed && followedThrough < through) {
          const entries = await untilClosed<Entry[]>(
            connection.xrange(keys.published, `(0-${followedThrough}`, `0-${through}`, 'COUNT', 500),
          );
          if (!entries) return;
          // None left up to the mark: pruned already (a tail far behind), nothing to hand on.
          if (entries.length === 0) followedThrough = through;
          for (const entry of entries) {
            followedThrough = seqOf(entry[0]);
            deliver(entry);
          }
        }
      } catch (error) {
        if (closed) return;
        logger.warn({ error: (error as Error).message }, 'reading published events failed; retrying');
        await pause(500);
      }
    }
  }

  return {
    leaseToken: () => token,
    get delivered() {
      return delivered;
    },
    get followedThrough() {
      return followedThrough;
    },
    start() {
      const tail = options.blocking('published');
      readers.push(tail);
      const inbox = options.blocking('inbox');
      readers.push(inbox);
      loops.push(tailLoop(tail).finally(() => tail.disconnect()));
      loops.push(consume(inbox).finally(() => inbox.disconnect()));
      loops.push(leaseLoop());
      return Promise.resolve();
    },
    async close() {
      closed = true;
      signalClosed();
      for (const entry of timers) entry.resolve();
      for (const connection of readers) connection.disconnect();
      // The pipeline closes beside the loops: a reader may be waiting for room in it.
      await Promise.all([...loops, pipeline.close()]);
      const held = token;
      token = undefined;
      if (held) await scripts.bggLeaseRelease(keys.lease, held).catch(() => 0);
    },
  };
}
