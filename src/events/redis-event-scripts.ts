// The Lua scripts of the Redis event log (redis-event-log.ts describes its streams and why it has marks),
// each beside its KEYS and ARGV. A script runs atomically, so deduping and appending, or checking the lease
// and publishing, cannot be interleaved with another instance's writes.
import { type Redis } from 'ioredis';

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

// Lua helpers for the marks stream (the top of redis-event-log.ts). Its ids are the marks; it keeps about
// 100.
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

type Script = (...args: (string | number)[]) => Promise<unknown>;

function define(redis: Redis, name: string, numberOfKeys: number, lua: string): Script {
  redis.defineCommand(name, { numberOfKeys, lua });
  return (redis as unknown as Record<string, Script>)[name]!.bind(redis);
}

/** The scripts the log writes with, defined on `redis`: arguments as the comments above them list. */
export function defineLogScripts(redis: Redis) {
  return {
    append: define(redis, 'bggEventAppend', 2, APPEND),
    publish: define(redis, 'bggEventPublish', 5, PUBLISH),
    failure: define(redis, 'bggEventFailure', 1, FAILURE),
  };
}
export type LogScripts = ReturnType<typeof defineLogScripts>;

/** The scripts of the marks stream, defined on `redis`, for createRedisMarks. */
export function defineMarkScripts(redis: Redis) {
  return {
    mark: define(redis, 'bggEventMark', 2, MARK),
    readable: define(redis, 'bggEventReadable', 2, READABLE),
  };
}
