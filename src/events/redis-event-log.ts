// The event log on Redis, for several gateway instances sharing one store. Streams whose entry ids are
// the sequences themselves (`0-<n>`, assigned by Redis with XADD `0-*`, or given):
//   <prefix>events:inbox      every notice on receipt; `seq` is its id (billwerk's order per contract)
//   <prefix>events:published  every event once enriched; `publishedSeq` is its id (what cursors count)
//   <prefix>events:visible    marks: an entry `0-<n>` says the published events through n may be read
// beside them a hash per event for its delivery state (attempts, last error, publication), a SET NX key
// with expiry per dedupe key, a hash of metadata, and the enrichment lease (delivery/redis-relay.ts takes
// it). Appending is one Lua script (dedupe and XADD together), and so is publishing (fenced by the lease,
// idempotent): redis-event-scripts.ts.
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
import type {
  AppendOptions,
  AppendResult,
  Enrichment,
  EventListQuery,
  EventLog,
  EventLogStats,
  StoredEvent,
} from './event-log.js';
import { LostLeaseError } from './enrichment-lease.js';
import { type ParsedNotice } from './notice.js';
import { defineLogScripts, defineMarkScripts, type LogScripts } from './redis-event-scripts.js';
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

type Entry = [id: string, fields: string[]];

/** The marks of the published stream (the top of this file), for the event log and the relay's tail. */
export interface RedisMarks {
  /** The publication sequence through which published events may be read. */
  readableThrough(): Promise<number>;
  /** Marks the published events through `publishedSeq` readable (a mark never moves back). */
  mark(publishedSeq: number): Promise<void>;
}

export function createRedisMarks(redis: Redis, keys: RedisEventKeys): RedisMarks {
  const scripts = defineMarkScripts(redis);
  return {
    readableThrough: async () => seqOf(String(await scripts.readable(keys.visible, keys.published))),
    async mark(publishedSeq) {
      await scripts.mark(keys.published, keys.visible, publishedSeq);
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

/** What the log's parts share: the connection, its keys and scripts, the options and what they imply. */
interface RedisLog {
  redis: Redis;
  keys: RedisEventKeys;
  scripts: LogScripts;
  marks: RedisMarks;
  options: RedisEventLogOptions;
  /** How long dedupe keys and delivery states are kept, ms. */
  keepMs: number;
  maxPublished: number;
}

const inboxRange = async (
  { redis, keys }: RedisLog,
  start: string,
  end: string,
  count: number,
): Promise<Entry[]> => await redis.xrange(keys.inbox, start, end, 'COUNT', count);

/** Inbox entries as events, with their delivery state and (when published) their enrichment. */
async function hydrate({ redis, keys }: RedisLog, entries: Entry[]): Promise<StoredEvent[]> {
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
async function pending(log: RedisLog, afterSeq: number, limit: number): Promise<StoredEvent[]> {
  const waiting: StoredEvent[] = [];
  const pageSize = Math.min(Math.max(limit, 100), 1000);
  let start = `(0-${afterSeq}`;
  while (waiting.length < limit) {
    const page = await inboxRange(log, start, '+', pageSize);
    const unpublished = (await hydrate(log, page)).filter((e) => e.publishedSeq === undefined);
    waiting.push(...unpublished.slice(0, limit - waiting.length));
    if (page.length < pageSize) break;
    start = `(${page.at(-1)![0]}`;
  }
  return waiting;
}

/** How many inbox entries are unpublished, counted a page at a time (when there is no consumer group). */
async function countPending(log: RedisLog): Promise<number> {
  let count = 0;
  for (let after = 0; ;) {
    const page = await pending(log, after, 1000);
    count += page.length;
    if (page.length < 1000) return count;
    after = page.at(-1)!.seq;
  }
}

/** Unread plus unacknowledged entries of the consumer group; undefined when there is no group yet. */
async function groupBacklog({ redis, keys }: RedisLog): Promise<number | undefined> {
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

async function list(log: RedisLog, query: EventListQuery): Promise<StoredEvent[]> {
  const first = Math.max(0, Math.floor(query.first));
  const types = query.types?.length ? new Set(query.types.map((t) => t.toLowerCase())) : undefined;
  const found: StoredEvent[] = [];
  let start = query.afterSeq ? `(0-${query.afterSeq}` : '-';
  const pageSize = Math.min(Math.max(first * 2, 100), 1000);
  while (found.length < first) {
    const page = await inboxRange(log, start, '+', pageSize);
    const matching = page.filter(([id, flat]) => {
      const f = parseFields(seqOf(id), inboxFields, fieldsOf(flat));
      if (query.from && f.r < query.from.getTime()) return false;
      if (query.to && f.r >= query.to.getTime()) return false;
      if (!types && query.contractId === undefined) return true;
      const notice = noticeFromText(seqOf(id), f.n);
      if (types && !types.has(notice.event.toLowerCase())) return false;
      return query.contractId === undefined || notice.contractId === query.contractId;
    });
    found.push(...(await hydrate(log, matching.slice(0, first - found.length))));
    if (page.length < pageSize) break;
    start = `(${page.at(-1)![0]}`;
  }
  return found;
}

async function append(log: RedisLog, notice: ParsedNotice, options: AppendOptions): Promise<AppendResult> {
  const [stored, seq] = (await log.scripts.append(
    log.keys.inbox,
    log.keys.dedupe(options.dedupeKey),
    options.mayRepeat ? '1' : '0',
    Math.ceil(log.keepMs / 1000),
    JSON.stringify(notice),
    options.receivedAt.getTime(),
    options.source ?? 'webhook',
  )) as [number, string];
  // A duplicate waits too: its first copy may be the one whose WAIT timed out (a 503 billwerk retried).
  await log.options.replicated?.();
  return stored === 1
    ? { stored: true, seq: Number(seq) }
    : ({ stored: false, duplicateOf: Number(seq) } satisfies AppendResult);
}

async function publish(
  log: RedisLog,
  seq: number,
  enrichment: Enrichment | undefined,
  state: 'published' | 'failed',
  at: Date,
): Promise<StoredEvent> {
  const { redis, keys, options } = log;
  let token = '';
  if (options.leaseToken) {
    const held = options.leaseToken();
    if (held === undefined) throw new LostLeaseError();
    token = held;
  }
  const [outcome, publishedSeq] = (await log.scripts.publish(
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
    log.maxPublished,
    keys.group,
    options.instanceId ?? '',
    log.keepMs,
    options.replicated ? '0' : '1',
  )) as [number, string?];
  if (outcome === -1) throw new LostLeaseError();
  if (outcome === -2) throw new Error(`event ${seq} is not in the log`);
  if (options.replicated) {
    // Also when it was published before (a retry): its first WAIT may be the one that failed. A
    // failure leaves it unread; the lane retries, or the next mark (or lease holder) covers it.
    await options.replicated();
    await log.marks.mark(Number(publishedSeq));
  }
  const id = `0-${publishedSeq}`;
  const [entry] = (await redis.xrange(keys.published, id, id)) as Entry[];
  if (!entry) throw new Error(`published event ${publishedSeq} is no longer kept`);
  const { publishedBy: _by, ...event } = publishedEvent(entry);
  return event;
}

// A scope is not used: the published stream has no per-contract index, so every event after the cursor is
// read and the caller's filter keeps its own.
async function readPublished(log: RedisLog, after: number, limit: number): Promise<StoredEvent[]> {
  const through = Math.max(await log.marks.readableThrough(), log.options.followedThrough?.() ?? 0);
  if (through <= after) return [];
  const entries = (await log.redis.xrange(
    log.keys.published,
    `(0-${after}`,
    `0-${through}`,
    'COUNT',
    limit,
  )) as Entry[];
  return entries.map((entry) => {
    const { publishedBy: _by, ...event } = publishedEvent(entry);
    return event;
  });
}

async function stats(log: RedisLog): Promise<EventLogStats> {
  const { redis, keys } = log;
  const [backlog, lastPublishedSeq, retained, first] = await Promise.all([
    groupBacklog(log),
    lastGenerated(redis, keys.published),
    redis.xlen(keys.published),
    redis.xrange(keys.published, '-', '+', 'COUNT', 1) as Promise<Entry[]>,
  ]);
  const oldest = first[0] && publishedEvent(first[0]);
  return {
    pending: backlog ?? (await countPending(log)),
    lastPublishedSeq,
    retained,
    oldest: oldest && { publishedSeq: oldest.publishedSeq!, receivedAt: oldest.receivedAt },
  };
}

/** Deletes the prefix of a stream whose entries were received before `before` (and may go). */
async function trimPrefix(
  redis: Redis,
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

// The count bound is kept by XADD MAXLEN as events are published; pruning removes what is too old.
async function prune({ redis, keys }: RedisLog, before: Date): Promise<number> {
  const cutoff = before.getTime();
  const pruned = await trimPrefix(redis, keys.published, cutoff, () => true);
  // The inbox keeps every event until it is published, however old.
  await trimPrefix(
    redis,
    keys.inbox,
    cutoff,
    async ([id]) => (await redis.hexists(keys.state(seqOf(id)), 'ps')) === 1,
  );
  return pruned;
}

export function createRedisEventLog(options: RedisEventLogOptions): EventLog {
  const { redis } = options;
  const keys = redisEventKeys(options.keyPrefix);
  const log: RedisLog = {
    redis,
    keys,
    scripts: defineLogScripts(redis),
    marks: createRedisMarks(redis, keys),
    options,
    // Dedupe keys outlive the events they protect by a day; delivery states live as long.
    keepMs: options.retentionMs + 24 * 60 * 60 * 1000,
    maxPublished: options.maxPublished ?? 1_000_000,
  };
  return {
    append: (notice, appendOptions) => append(log, notice, appendOptions),
    pending: (afterSeq, limit) => pending(log, afterSeq, limit),
    async recordFailure(seq, error) {
      await log.scripts.failure(keys.state(seq), error.slice(0, 500));
    },
    publish: (seq, enrichment, state, at) => publish(log, seq, enrichment, state, at),
    readPublished: (after, limit) => readPublished(log, after, limit),
    async oldestPublishedSeq() {
      const [entry] = (await redis.xrange(keys.published, '-', '+', 'COUNT', 1)) as Entry[];
      return entry ? seqOf(entry[0]) : undefined;
    },
    lastPublishedSeq: () => lastGenerated(redis, keys.published),
    list: (query) => list(log, query),
    async get(seq) {
      const [event] = await hydrate(log, await inboxRange(log, `0-${seq}`, `0-${seq}`, 1));
      return event;
    },
    async getMeta(key) {
      return (await redis.hget(keys.meta, key)) ?? undefined;
    },
    async setMeta(key, value) {
      await redis.hset(keys.meta, key, value);
    },
    stats: () => stats(log),
    prune: ({ before }) => prune(log, before),
    // The connection belongs to the caller (it is shared with the relay and the idempotency store).
    close: () => Promise.resolve(),
  };
}
