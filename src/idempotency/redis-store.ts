// The IdempotencyStore on Redis, shared by every gateway instance: one hash per key (fingerprint,
// state, owner, lease, one field per checkpoint, outcome, expiry) changed only by Lua scripts, so a claim
// is atomic across instances. Expiry and leases follow the injected clock like the SQLite store's; a
// sorted set by expiry lets purgeExpired find old keys, and each hash also expires in Redis a day after.
import { randomUUID } from 'node:crypto';
import { type Redis } from 'ioredis';
import {
  LostKeyError,
  type Claim,
  type IdempotencyStore,
  type IdempotencyTiming,
  type StoredOutcome,
} from './store.js';
import { createSettleWaiters } from './settle-waiters.js';

export interface RedisIdempotencyStoreOptions extends IdempotencyTiming {
  redis: Redis;
  /** @default 'bgg:' */
  keyPrefix?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

// Every script: KEYS[1] the key's hash, KEYS[2] the expiry index; ARGV[1] now (ms).
const CLAIM = `
local now = tonumber(ARGV[1])
local row = {}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do row[flat[i]] = flat[i + 1] end
if row.fp and tonumber(row.exp) <= now then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[7])
  row = {}
end
local function checkpoints()
  local out = {}
  for name, value in pairs(row) do
    if string.sub(name, 1, 3) == 'cp:' then
      table.insert(out, string.sub(name, 4))
      table.insert(out, value)
    end
  end
  return out
end
if not row.fp then
  local exp = now + tonumber(ARGV[4])
  redis.call('HSET', KEYS[1], 'fp', ARGV[6], 'op', ARGV[5], 'st', 'running', 'owner', ARGV[2],
    'lease', now + tonumber(ARGV[3]), 'exp', exp)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) + ${DAY_MS})
  redis.call('ZADD', KEYS[2], exp, ARGV[7])
  return {'acquired', '0', {}}
end
if row.fp ~= ARGV[6] then return {'mismatch', row.op} end
if row.st == 'done' then return {'done', row.out} end
if row.st == 'running' and tonumber(row.lease) > now then return {'running'} end
redis.call('HSET', KEYS[1], 'st', 'running', 'owner', ARGV[2], 'lease', now + tonumber(ARGV[3]))
return {'acquired', '1', checkpoints()}
`;
// ARGV: now, token, step, value JSON, lease ms.
const CHECKPOINT = `
local row = redis.call('HMGET', KEYS[1], 'owner', 'st')
if row[1] ~= ARGV[2] or row[2] ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'cp:' .. ARGV[3], ARGV[4], 'lease', tonumber(ARGV[1]) + tonumber(ARGV[5]))
return 1
`;
// ARGV: now, token, outcome JSON, ttl ms, index member.
const COMPLETE = `
local row = redis.call('HMGET', KEYS[1], 'owner', 'st', 'exp')
if row[1] ~= ARGV[2] or row[2] ~= 'running' then return 0 end
local now = tonumber(ARGV[1])
local exp = math.max(tonumber(row[3]), now + tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 'st', 'done', 'out', ARGV[3], 'exp', exp)
redis.call('HDEL', KEYS[1], 'owner')
redis.call('PEXPIRE', KEYS[1], exp - now + ${DAY_MS})
redis.call('ZADD', KEYS[2], exp, ARGV[5])
return 1
`;
// ARGV: now, token, 'release' | 'discard', index member.
const LET_GO = `
local row = redis.call('HMGET', KEYS[1], 'owner', 'st')
if row[1] ~= ARGV[2] or row[2] ~= 'running' then return 0 end
if ARGV[3] == 'discard' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
else
  redis.call('HSET', KEYS[1], 'st', 'interrupted')
  redis.call('HDEL', KEYS[1], 'owner')
end
return 1
`;
// ARGV: now, prefix of the hashes.
const PURGE = `
local now = tonumber(ARGV[1])
local n = 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  local exp = redis.call('HGET', ARGV[2] .. member, 'exp')
  if exp and tonumber(exp) <= now then
    redis.call('DEL', ARGV[2] .. member)
    n = n + 1
  end
  redis.call('ZREM', KEYS[2], member)
end
return n
`;

/** Where the records live: a hash per key, and the index of their expiry with a member per key. */
function keyNames(prefix = 'bgg:') {
  const hashPrefix = `${prefix}idempotency:`;
  const member = (scope: string, key: string) => `${encodeURIComponent(scope)}:${encodeURIComponent(key)}`;
  const hash = (scope: string, key: string) => hashPrefix + member(scope, key);
  return { hashPrefix, index: `${prefix}idempotency-expiry`, member, hash };
}

type Script = (...args: (string | number)[]) => Promise<unknown>;

function defineScripts(redis: Redis) {
  const define = (name: string, lua: string): Script => {
    redis.defineCommand(name, { numberOfKeys: 2, lua });
    const script = (redis as unknown as Record<string, Script>)[name]!;
    return script.bind(redis);
  };
  return {
    claim: define('bggIdemClaim', CLAIM),
    checkpoint: define('bggIdemCheckpoint', CHECKPOINT),
    complete: define('bggIdemComplete', COMPLETE),
    letGo: define('bggIdemLetGo', LET_GO),
    purge: define('bggIdemPurge', PURGE),
  };
}

/** The claim script's reply, as a Claim; `token` is the one the script was given. */
function claimOf(reply: [string, string?, string[]?], token: string): Claim {
  const [kind] = reply;
  if (kind === 'mismatch') return { kind, operation: reply[1]! };
  if (kind === 'done') return { kind, outcome: JSON.parse(reply[1]!) as StoredOutcome };
  if (kind === 'running') return { kind };
  const flat = reply[2] ?? [];
  const checkpoints: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) checkpoints[flat[i]!] = JSON.parse(flat[i + 1]!);
  return { kind: 'acquired', token, checkpoints, resumed: reply[1] === '1' };
}

export function createRedisIdempotencyStore(options: RedisIdempotencyStoreOptions): IdempotencyStore {
  const { redis } = options;
  const ttlMs = Math.max(options.ttlMs ?? DAY_MS, 1);
  const leaseMs = options.leaseMs ?? 120_000;
  const now = options.now ?? Date.now;
  const { hashPrefix, index, member, hash } = keyNames(options.keyPrefix);
  const scripts = defineScripts(redis);

  /** In-process waiters by key; waiters in other processes poll. */
  const waiters = createSettleWaiters(options.pollMs ?? 250);
  const wake = (scope: string, key: string) => waiters.wake(member(scope, key));
  const settled = async (scope: string, key: string): Promise<boolean> => {
    const [state, lease, exp] = await redis.hmget(hash(scope, key), 'st', 'lease', 'exp');
    const at = now();
    return state !== 'running' || Number(lease) <= at || Number(exp) <= at;
  };
  const letGo = async (scope: string, key: string, token: string, how: 'release' | 'discard') => {
    await scripts.letGo(hash(scope, key), index, now(), token, how, member(scope, key));
    wake(scope, key);
  };

  return {
    async claim({ scope, key, operation, fingerprint }) {
      const token = randomUUID();
      const reply = await scripts.claim(
        hash(scope, key),
        index,
        now(),
        token,
        leaseMs,
        ttlMs,
        operation,
        fingerprint,
        member(scope, key),
      );
      return claimOf(reply as [string, string?, string[]?], token);
    },
    async checkpoint(scope, key, token, step, value) {
      const ok = await scripts.checkpoint(
        hash(scope, key),
        index,
        now(),
        token,
        step,
        JSON.stringify(value),
        leaseMs,
      );
      if (ok !== 1) throw new LostKeyError(key);
    },
    async complete(scope, key, token, outcome) {
      const ok = await scripts.complete(
        hash(scope, key),
        index,
        now(),
        token,
        JSON.stringify(outcome),
        ttlMs,
        member(scope, key),
      );
      wake(scope, key);
      if (ok !== 1) throw new LostKeyError(key);
    },
    release: (scope, key, token) => letGo(scope, key, token, 'release'),
    discard: (scope, key, token) => letGo(scope, key, token, 'discard'),
    waitForSettle(scope, key, timeoutMs) {
      return waiters.wait(member(scope, key), () => settled(scope, key), timeoutMs);
    },
    async purgeExpired() {
      return Number(await scripts.purge(index, index, now(), hashPrefix));
    },
    close() {
      waiters.wakeAll();
      return Promise.resolve();
    },
  };
}
