// The event log on Redis, for several gateway instances sharing one store. Streams whose entry ids are
// the sequences themselves (`0-<n>`, assigned by Redis with XADD `0-*`, or given):
//   <prefix>events:inbox      every notice on receipt; `seq` is its id (billwerk's order per contract)
//   <prefix>events:published  every event once enriched; `publishedSeq` is its id (what cursors count)
//   <prefix>events:visible    marks: an entry `0-<n>` says the published events through n may be read
// beside them a hash per event for its delivery state (attempts, last error, publication), a SET NX key
// with expiry per dedupe key, a hash of metadata, and the enrichment lease (lease.ts). Appending is one
// Lua script (dedupe and XADD together), and so is publishing (fenced by the lease, idempotent).
//
// Why marks: after a failover the new primary lacks the writes the old one had not yet replicated, so
// it gives their publication sequences to other events (contracts are enriched in parallel; whichever is
// published first takes the next number). A subscriber that had read the old event under that number
// would skip the new one and receive the old one again under a later number. So tails and replays read
// the published stream only through the newest mark, and an event is marked only once a failover cannot
// take it back: with REDIS_WAIT_REPLICAS after WAIT confirmed its publication; without it, in the
// publishing script itself (the primary's acknowledgement is all that is promised then). A replica that
// has a mark has every entry up to it (replication keeps the primary's order), so a number once read
// names one event on every server that can become primary.
import { type Redis } from 'ioredis';
import type { AppendResult, EventListQuery, EventLog, StoredEvent } from './event-log.js';
import { LostLeaseError } from './enrichment-lease.js';
import {
  enrichmentFromText,
  inboxFields,
  noticeFromText,
  receivedField,
  parseFields,
  publishedFields,
  stateFields,
} from './stored-event.js';

export interface RedisEventLogOptions {
  redis: Redis;
  /** Key prefix, so several deployments can share one Redis. @default 'bgg:' */
  keyPrefix?: string;
  /** How long dedupe keys and delivery states are kept; at least the event retention. */
  retentionMs: number;
  /**
   * A bound on the published stream's length (XADD MAXLEN ~, EVENT_RETENTION_MAX_EVENTS), beside the
   * retention by age. @default 1000000
   */
  maxPublished?: number;
  /**
   * The enrichment lease this instance holds, if any. When given, `publish` succeeds only while the token
   * is the lease's current value in Redis (a paused or partitioned former holder is refused).
   */
  leaseToken?: () => string | undefined;
  /** Written on each published entry, so an instance knows the events it published itself. */
  instanceId?: string;
  /**
   * Given with REDIS_WAIT_REPLICAS: resolves once every write of this connection so far would survive a
   * failover (WAIT), rejects when it might not. `append` waits for it, so a webhook's 2xx means its event
   * is replicated; `publish` waits for it before it marks the event readable (see the top of this file).
   * @default none (the primary's acknowledgement and its AOF suffice; events are readable at once)
   */
  replicated?: () => Promise<void>;
  /**
   * The publication sequence this instance's tail has handed on (redis-relay.ts): replays read at least
   * that far. A failover can leave the new primary with an older mark than the one the tail read, but
   * never without the entries up to it.
   */
  followedThrough?: () => number;
}

/** Names of the keys and the consumer group, shared with redis-relay.ts. */
export function redisEventKeys(prefix = 'bgg:') {
  return {
    inbox: `${prefix}events:inbox`,
    published: `${prefix}events:published`,
    visible: `${prefix}events:visible`,
    state: (seq: number) => `${prefix}events:state:${seq}`,
    dedupe: (key: string) => `${prefix}events:dedupe:${key}`,
    meta: `${prefix}events:meta`,
    lease: `${prefix}events:lease`,
    group: 'enrichers',
  };
}
export type RedisEventKeys = ReturnType<typeof redisEventKeys>;

// KEYS: inbox, dedupe key. ARGV: mayRepeat (1/0), ttl seconds, notice JSON, receivedAt ms, source.
const APPEND = `
if ARGV[1] == '0' then
  if not redis.call('SET', KEYS[2], '', 'NX', 'EX', ARGV[2]) then
    return {0, redis.call('GET', KEYS[2])}
  end
end
local id = redis.call('XADD', KEYS[1], '0-*', 'n', ARGV[3], 'r', ARGV[4], 's', ARGV[5])
local seq = string.match(id, '^0%-(%d+)$')
redis.call('SET', KEYS[2], seq, 'EX', ARGV[2])
return {1, seq}
`;

// Lua helpers for the marks stream (the top of this file). Its ids are the marks; it keeps about 100.
const MARKS = `
local function seqOfId(id) return tonumber(string.match(id, '^0%-(%d+)$')) end
-- Creates the marks stream where there is none yet (a new deployment, or one that published before marks
-- existed: what it published was readable then): through the newest published entry, or empty.
local function initMarks(published, visible)
  if redis.call('EXISTS', visible) == 1 then return end
  local top = redis.call('XREVRANGE', published, '+', '-', 'COUNT', 1)[1]
  if top then
    redis.call('XADD', visible, top[1], 'p', '')
  else
    redis.call('XGROUP', 'CREATE', visible, 'marks', '$', 'MKSTREAM')
  end
end
-- Marks the published events through seq readable; marks only move forward.
local function mark(published, visible, seq)
  initMarks(published, visible)
  local top = redis.call('XREVRANGE', visible, '+', '-', 'COUNT', 1)[1]
  if top and seqOfId(top[1]) >= tonumber(seq) then return 0 end
  redis.call('XADD', visible, 'MAXLEN', '~', 100, '0-' .. seq, 'p', '')
  return 1
end
`;

// KEYS: state, published, inbox, lease, visible. ARGV: lease token ('' = unfenced), seq, enrichment JSON
// ('' = none), state, publishedAt ms, max published length, group, instance id, state ttl ms, '1' to mark
// the event readable at once ('0' when the caller marks it after WAIT).
// Returns {-1} when the lease is not held, {-2} when the event is unknown, else {1|0, publishedSeq}.
const PUBLISH = `${MARKS}
if ARGV[1] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[1] then return {-1} end
local done = redis.call('HGET', KEYS[1], 'ps')
if done then return {0, done} end
local entry = redis.call('XRANGE', KEYS[3], '0-' .. ARGV[2], '0-' .. ARGV[2])[1]
if not entry then return {-2} end
local f = entry[2]
local fields = {'seq', ARGV[2], 'st', ARGV[4], 'pa', ARGV[5], 'by', ARGV[8]}
for i = 1, #f, 2 do
  table.insert(fields, f[i])
  table.insert(fields, f[i + 1])
end
local attempts = redis.call('HGET', KEYS[1], 'a')
if attempts then table.insert(fields, 'a') table.insert(fields, attempts) end
local err = redis.call('HGET', KEYS[1], 'err')
if err then table.insert(fields, 'err') table.insert(fields, err) end
if ARGV[3] ~= '' then table.insert(fields, 'en') table.insert(fields, ARGV[3]) end
-- Before the XADD: with marks after WAIT, what was published before marks existed stays readable.
initMarks(KEYS[2], KEYS[5])
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '0-*', unpack(fields))
local ps = string.match(id, '^0%-(%d+)$')
redis.call('HSET', KEYS[1], 'st', ARGV[4], 'ps', ps, 'pa', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[9])
redis.pcall('XACK', KEYS[3], ARGV[7], '0-' .. ARGV[2])
if ARGV[10] == '1' then mark(KEYS[2], KEYS[5], ps) end
return {1, ps}
`;

// KEYS: published, visible. ARGV: publishedSeq. Marks the published events through it readable.
const MARK = `${MARKS}
return mark(KEYS[1], KEYS[2], ARGV[1])
`;

// KEYS: visible, published. The newest mark's id; without a marks stream, the newest published entry's.
const READABLE = `
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if top then return top[1] end
if redis.call('EXISTS', KEYS[1]) == 1 then return '0-0' end
top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
return top and top[1] or '0-0'
`;

// KEYS: state. ARGV: error text.
const FAILURE = `
redis.call('HINCRBY', KEYS[1], 'a', 1)
redis.call('HSET', KEYS[1], 'err', ARGV[1])
return 1
`;

type Entry = [id: string, fields: string[]];

/** The marks of the published stream (the top of this file), for the event log and the relay's tail. */
export interface RedisMarks {
  /** The publication sequence through which published events may be read. */
  readableThrough(): Promise<number>;
  /** Marks the published events through `publishedSeq` readable (a mark never moves back). */
  mark(publishedSeq: number): Promise<void>;
}

export function createRedisMarks(redis: Redis, keys: RedisEventKeys): RedisMarks {
  redis.defineCommand('bggEventMark', { numberOfKeys: 2, lua: MARK });
  redis.defineCommand('bggEventReadable', { numberOfKeys: 2, lua: READABLE });
  const scripts = redis as unknown as Record<
    'bggEventMark' | 'bggEventReadable',
    (...args: (string | number)[]) => Promise<unknown>
  >;
  return {
    readableThrough: async () => seqOf(String(await scripts.bggEventReadable(keys.visible, keys.published))),
    async mark(publishedSeq) {
      await scripts.bggEventMark(keys.published, keys.visible, publishedSeq);
    },
  };
}

/** `0-17` → 17. */
export const seqOf = (id: string): number => Number(id.slice(id.indexOf('-') + 1));

/** A stream entry's flat field list as a record. */
export function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

/** A published entry as the event it describes. */
export function publishedEvent([id, flat]: Entry): StoredEvent & { publishedBy?: string } {
  const f = parseFields(undefined, publishedFields, fieldsOf(flat));
  return {
    seq: f.seq,
    publishedSeq: seqOf(id),
    state: f.st,
    source: f.s,
    notice: noticeFromText(f.seq, f.n),
    receivedAt: new Date(f.r),
    publishedAt: new Date(f.pa),
    enrichment: f.en === undefined ? undefined : enrichmentFromText(f.seq, f.en),
    attempts: f.a ?? 0,
    lastError: f.err,
    publishedBy: f.by,
  };
}

/** The number after which a stream holds nothing: `0-<n>` of its last-generated id. */
async function lastGenerated(redis: Redis, key: string): Promise<number> {
  try {
    const info = (await redis.call('XINFO', 'STREAM', key)) as unknown[];
    const at = info.indexOf('last-generated-id');
    return at < 0 ? 0 : seqOf(String(info[at + 1]));
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return 0;
    throw error;
  }
}

export function createRedisEventLog(options: RedisEventLogOptions): EventLog {
  const { redis, replicated } = options;
  const keys = redisEventKeys(options.keyPrefix);
  // Dedupe keys outlive the events they protect by a day; delivery states live as long.
  const keepMs = options.retentionMs + 24 * 60 * 60 * 1000;
  const maxPublished = options.maxPublished ?? 1_000_000;
  redis.defineCommand('bggEventAppend', { numberOfKeys: 2, lua: APPEND });
  redis.defineCommand('bggEventPublish', { numberOfKeys: 5, lua: PUBLISH });
  redis.defineCommand('bggEventFailure', { numberOfKeys: 1, lua: FAILURE });
  const scripts = redis as unknown as Record<
    'bggEventAppend' | 'bggEventPublish' | 'bggEventFailure',
    (...args: (string | number)[]) => Promise<unknown>
  >;
  const marks = createRedisMarks(redis, keys);

  const inboxRange = async (start: string, end: string, count: number): Promise<Entry[]> =>
    await redis.xrange(keys.inbox, start, end, 'COUNT', count);

  /** Inbox entries as events, with their delivery state and (when published) their enrichment. */
  async function hydrate(entries: Entry[]): Promise<StoredEvent[]> {
    if (entries.length === 0) return [];
    const batch = redis.pipeline();
    for (const [id] of entries) batch.hgetall(keys.state(seqOf(id)));
    const states = ((await batch.exec()) ?? []).map(([error, value]): unknown => {
      if (error) throw error;
      return value;
    });
    const events = entries.map(([id, flat], i): StoredEvent => {
      const seq = seqOf(id);
      const f = parseFields(seq, inboxFields, fieldsOf(flat));
      const s = parseFields(seq, stateFields, states[i] ?? {});
      return {
        seq,
        publishedSeq: s.ps,
        state: s.st ?? 'received',
        source: f.s,
        notice: noticeFromText(seq, f.n),
        receivedAt: new Date(f.r),
        publishedAt: s.pa === undefined ? undefined : new Date(s.pa),
        attempts: s.a ?? 0,
        lastError: s.err,
      };
    });
    const published = events.filter((e) => e.publishedSeq !== undefined);
    if (published.length > 0) {
      const reads = redis.pipeline();
      for (const e of published) reads.xrange(keys.published, `0-${e.publishedSeq}`, `0-${e.publishedSeq}`);
      const results = (await reads.exec()) ?? [];
      published.forEach((event, i) => {
        const [error, value] = results[i] ?? [];
        if (error) throw error;
        const entry = (value as Entry[] | undefined)?.[0];
        if (entry) event.enrichment = publishedEvent(entry).enrichment;
      });
    }
    return events;
  }

  /** Unpublished events after `afterSeq`, at most `limit`: the inbox read a page at a time. */
  async function pending(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const waiting: StoredEvent[] = [];
    const pageSize = Math.min(Math.max(limit, 100), 1000);
    let start = `(0-${afterSeq}`;
    while (waiting.length < limit) {
      const page = await inboxRange(start, '+', pageSize);
      const unpublished = (await hydrate(page)).filter((e) => e.publishedSeq === undefined);
      waiting.push(...unpublished.slice(0, limit - waiting.length));
      if (page.length < pageSize) break;
      start = `(${page.at(-1)![0]}`;
    }
    return waiting;
  }

  /** How many inbox entries are unpublished, counted a page at a time (when there is no consumer group). */
  async function countPending(): Promise<number> {
    let count = 0;
    for (let after = 0; ;) {
      const page = await pending(after, 1000);
      count += page.length;
      if (page.length < 1000) return count;
      after = page.at(-1)!.seq;
    }
  }

  /** Unread plus unacknowledged entries of the consumer group; undefined when there is no group yet. */
  async function groupBacklog(): Promise<number | undefined> {
    let groups: unknown[][];
    try {
      groups = (await redis.call('XINFO', 'GROUPS', keys.inbox)) as unknown[][];
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) return 0;
      throw error;
    }
    for (const group of groups) {
      const f: Record<string, unknown> = {};
      for (let i = 0; i + 1 < group.length; i += 2) f[String(group[i])] = group[i + 1];
      if (f.name !== keys.group) continue;
      if (typeof f.lag !== 'number') return undefined;
      return Number(f.pending) + f.lag;
    }
    return undefined;
  }

  async function list(query: EventListQuery): Promise<StoredEvent[]> {
    const first = Math.max(0, Math.floor(query.first));
    const types = query.types?.length ? new Set(query.types.map((t) => t.toLowerCase())) : undefined;
    const found: StoredEvent[] = [];
    let start = query.afterSeq ? `(0-${query.afterSeq}` : '-';
    const pageSize = Math.min(Math.max(first * 2, 100), 1000);
    while (found.length < first) {
      const page = await inboxRange(start, '+', pageSize);
      const matching = page.filter(([id, flat]) => {
        const f = parseFields(seqOf(id), inboxFields, fieldsOf(flat));
        if (query.from && f.r < query.from.getTime()) return false;
        if (query.to && f.r >= query.to.getTime()) return false;
        if (!types && query.contractId === undefined) return true;
        const notice = noticeFromText(seqOf(id), f.n);
        if (types && !types.has(notice.event.toLowerCase())) return false;
        return query.contractId === undefined || notice.contractId === query.contractId;
      });
      found.push(...(await hydrate(matching.slice(0, first - found.length))));
      if (page.length < pageSize) break;
      start = `(${page.at(-1)![0]}`;
    }
    return found;
  }

  /** Deletes the prefix of a stream whose entries were received before `before` (and may go). */
  async function trimPrefix(
    key: string,
    before: number,
    mayGo: (entry: Entry) => Promise<boolean> | boolean,
  ): Promise<number> {
    let start = '-';
    let keepFrom: string | undefined;
    let count = 0;
    scan: for (;;) {
      const page = (await redis.xrange(key, start, '+', 'COUNT', 500)) as Entry[];
      for (const entry of page) {
        const { r: receivedAt } = parseFields(seqOf(entry[0]), receivedField, fieldsOf(entry[1]));
        if (receivedAt >= before || !(await mayGo(entry))) {
          keepFrom = entry[0];
          break scan;
        }
        count += 1;
      }
      if (page.length < 500) break;
      start = `(${page.at(-1)![0]}`;
    }
    if (count === 0) return 0;
    if (keepFrom) await redis.xtrim(key, 'MINID', keepFrom);
    else await redis.xtrim(key, 'MAXLEN', 0);
    return count;
  }

  return {
    async append(notice, options) {
      const [stored, seq] = (await scripts.bggEventAppend(
        keys.inbox,
        keys.dedupe(options.dedupeKey),
        options.mayRepeat ? '1' : '0',
        Math.ceil(keepMs / 1000),
        JSON.stringify(notice),
        options.receivedAt.getTime(),
        options.source ?? 'webhook',
      )) as [number, string];
      // A duplicate waits too: its first copy may be the one whose WAIT timed out (a 503 billwerk retried).
      await replicated?.();
      return stored === 1
        ? { stored: true, seq: Number(seq) }
        : ({ stored: false, duplicateOf: Number(seq) } satisfies AppendResult);
    },
    pending,
    async recordFailure(seq, error) {
      await scripts.bggEventFailure(keys.state(seq), error.slice(0, 500));
    },
    async publish(seq, enrichment, state, at) {
      let token = '';
      if (options.leaseToken) {
        const held = options.leaseToken();
        if (held === undefined) throw new LostLeaseError();
        token = held;
      }
      const [outcome, publishedSeq] = (await scripts.bggEventPublish(
        keys.state(seq),
        keys.published,
        keys.inbox,
        keys.lease,
        keys.visible,
        token,
        seq,
        enrichment === undefined ? '' : JSON.stringify(enrichment),
        state,
        at.getTime(),
        maxPublished,
        keys.group,
        options.instanceId ?? '',
        keepMs,
        replicated ? '0' : '1',
      )) as [number, string?];
      if (outcome === -1) throw new LostLeaseError();
      if (outcome === -2) throw new Error(`event ${seq} is not in the log`);
      if (replicated) {
        // Also when it was published before (a retry): its first WAIT may be the one that failed. A
        // failure leaves it unread; the lane retries, or the next mark (or lease holder) covers it.
        await replicated();
        await marks.mark(Number(publishedSeq));
      }
      const id = `0-${publishedSeq}`;
      const [entry] = (await redis.xrange(keys.published, id, id)) as Entry[];
      if (!entry) throw new Error(`published event ${publishedSeq} is no longer kept`);
      const { publishedBy: _by, ...event } = publishedEvent(entry);
      return event;
    },
    // A scope is not used: the published stream has no per-contract index, so every event after the
    // cursor is read and the caller's filter keeps its own.
    async readPublished(after, limit) {
      const through = Math.max(await marks.readableThrough(), options.followedThrough?.() ?? 0);
      if (through <= after) return [];
      const entries = (await redis.xrange(
        keys.published,
        `(0-${after}`,
        `0-${through}`,
        'COUNT',
        limit,
      )) as Entry[];
      return entries.map((entry) => {
        const { publishedBy: _by, ...event } = publishedEvent(entry);
        return event;
      });
    },
    async oldestPublishedSeq() {
      const [entry] = (await redis.xrange(keys.published, '-', '+', 'COUNT', 1)) as Entry[];
      return entry ? seqOf(entry[0]) : undefined;
    },
    lastPublishedSeq: () => lastGenerated(redis, keys.published),
    list,
    async get(seq) {
      const [event] = await hydrate(await inboxRange(`0-${seq}`, `0-${seq}`, 1));
      return event;
    },
    async getMeta(key) {
      return (await redis.hget(keys.meta, key)) ?? undefined;
    },
    async setMeta(key, value) {
      await redis.hset(keys.meta, key, value);
    },
    async stats() {
      const [backlog, lastPublishedSeq, retained, first] = await Promise.all([
        groupBacklog(),
        lastGenerated(redis, keys.published),
        redis.xlen(keys.published),
        redis.xrange(keys.published, '-', '+', 'COUNT', 1) as Promise<Entry[]>,
      ]);
      const oldest = first[0] && publishedEvent(first[0]);
      return {
        pending: backlog ?? (await countPending()),
        lastPublishedSeq,
        retained,
        oldest: oldest && { publishedSeq: oldest.publishedSeq!, receivedAt: oldest.receivedAt },
      };
    },
    // The count bound is kept by XADD MAXLEN as events are published; pruning removes what is too old.
    async prune({ before }) {
      const cutoff = before.getTime();
      const pruned = await trimPrefix(keys.published, cutoff, () => true);
      // The inbox keeps every event until it is published, however old.
      await trimPrefix(
        keys.inbox,
        cutoff,
        async ([id]) => (await redis.hexists(keys.state(seqOf(id)), 'ps')) === 1,
      );
      return pruned;
    },
    // The connection belongs to the caller (it is shared with the relay and the idempotency store).
    close: () => Promise.resolve(),
  };
}
