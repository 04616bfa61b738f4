// What makes several instances on one Redis act as one gateway:
// - the enrichment lease: one instance at a time (the holder) reads the inbox through a consumer group
//   and runs the pipeline, contracts in parallel and each contract in billwerk's order. Its lease expires
//   unless renewed, so when it dies another instance takes it over and, with XAUTOCLAIM, the entries the
//   dead one had read but not published (the group's pending list); publishing is fenced by the lease.
// - the published tail: every instance reads the published stream once (a blocking XREAD on its own
//   connection), drops the cache entries each event names, and hands the event to its local hub, which
//   fans it out to this instance's sockets.
import { randomUUID } from 'node:crypto';
import { type Redis } from 'ioredis';
import { type BillwerkReader } from '../loaders/reader.js';
import { type Logger } from '../logger.js';
import { invalidateFor } from './enrich.js';
import { type EventLog } from './event-log.js';
import { type EventHub } from './hub.js';
import { type ParsedNotice } from './notice.js';
import { type EventPipeline } from './pipeline.js';
import { fieldsOf, publishedEvent, seqOf, type RedisEventKeys } from './redis-event-log.js';
import { noticeFromText } from './stored-event.js';

export interface RedisRelayOptions {
  /** Ordinary commands (lease, claims). */
  redis: Redis;
  /** Opens a connection of its own for a blocking reader. */
  blocking: (name: string) => Redis;
  keys: RedisEventKeys;
  log: EventLog;
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
}

export interface RedisRelay {
  /** The lease token while this instance holds the enrichment lease (what fences its publications). */
  leaseToken(): string | undefined;
  /** Events handed to the local hub so far. */
  readonly delivered: number;
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
type StreamReply = [key: string, entries: Entry[]][] | null;

export function createRedisRelay(options: RedisRelayOptions): RedisRelay {
  const { redis, keys, log, pipeline, hub, reader, logger, instanceId } = options;
  const leaseMs = options.leaseMs ?? 5000;
  const blockMs = options.blockMs ?? 2000;
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
  /** Inbox entries handed to the pipeline and not yet published or given up. */
  const inFlight = new Set<number>();
  const loops: Promise<void>[] = [];
  const readers: Redis[] = [];
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

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
    inFlight.add(seq);
    void pipeline.submit(seq, notice).finally(() => inFlight.delete(seq));
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
      await pipeline.room();
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
          await connection.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', keys.inbox, newest);
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

  async function leaseLoop(): Promise<void> {
    while (!closed) {
      try {
        if (token) {
          const held = token;
          if ((await scripts.bggLeaseRenew(keys.lease, held, leaseMs)) !== 1) {
            logger.warn('enrichment lease lost to another instance');
            token = undefined;
            readable = undefined;
          } else if (!readable) {
            await claimPending();
            if (token === held) readable = held;
          }
        } else {
          // The holder's name in the token tells an operator (and the tests) which instance holds it.
          const candidate = `${instanceId}/${randomUUID()}`;
          if ((await redis.set(keys.lease, candidate, 'PX', leaseMs, 'NX')) === 'OK') {
            token = candidate;
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

  async function tailLoop(connection: Redis): Promise<void> {
    // Live delivery starts at the current end of the stream; anything earlier is replayed by cursor.
    let last: string | undefined;
    while (!closed && last === undefined) {
      try {
        last = `0-${await log.lastPublishedSeq()}`;
      } catch (error) {
        logger.warn({ error: (error as Error).message }, 'redis unreachable; waiting to follow events');
        await pause(500);
      }
    }
    if (last === undefined) return;
    while (!closed) {
      let reply: StreamReply;
      try {
        reply = await connection.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', keys.published, last);
      } catch (error) {
        if (closed) return;
        logger.warn({ error: (error as Error).message }, 'reading published events failed; retrying');
        await pause(500);
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const entry of entries) {
          last = entry[0];
          let read: ReturnType<typeof publishedEvent>;
          try {
            read = publishedEvent(entry);
          } catch (error) {
            logger.error({ err: error, entry: entry[0] }, 'a published entry cannot be read; skipped');
            continue;
          }
          const { publishedBy, ...event } = read;
          // The instance that enriched the event dropped these entries already (then re-read them).
          if (publishedBy !== instanceId) invalidateFor(event.notice, reader);
          delivered += 1;
          hub.publish(event);
        }
      }
    }
  }

  return {
    leaseToken: () => token,
    get delivered() {
      return delivered;
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
      for (const entry of timers) entry.resolve();
      for (const connection of readers) connection.disconnect();
      await Promise.all(loops);
      await pipeline.close();
      const held = token;
      token = undefined;
      if (held) await scripts.bggLeaseRelease(keys.lease, held).catch(() => 0);
    },
  };
}
