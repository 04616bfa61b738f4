// What the readiness check asks of Redis: not PING, but what the gateway does. A multi-key script on its
// own keys (a Cluster node reached as a single server refuses it with CROSSSLOT or MOVED), a write (a
// replica refuses it with READONLY), a stream consumer group (a user without the stream commands is refused
// with NOPERM), and, when webhooks wait for replicas, a WAIT that they answer. Each refusal becomes one line
// saying what is wrong and which setting fixes it.
import { type Redis } from 'ioredis';
import { type RedisTopology } from './topology.js';

/** Fewer replicas than REDIS_WAIT_REPLICAS acknowledged a write in time: the webhook is answered 503. */
export class ReplicationError extends Error {
  constructor(
    readonly acknowledged: number,
    readonly required: number,
  ) {
    super(`${acknowledged} of ${required} replicas acknowledged the write in time (REDIS_WAIT_REPLICAS)`);
    this.name = 'ReplicationError';
  }
}

export interface ProbeOptions {
  redis: Redis;
  topology: RedisTopology;
  keyPrefix: string;
  waitReplicas: number;
  waitTimeoutMs: number;
}

// KEYS: a string and a stream of the deployment, so one slot in a Cluster. ARGV: expiry ms.
const PROBE = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '1', '*', 'p', '1')
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`;

const where = (topology: RedisTopology) =>
  topology.kind === 'server'
    ? 'REDIS_URL'
    : topology.kind === 'sentinel'
      ? 'REDIS_SENTINELS/REDIS_SENTINEL_NAME'
      : 'REDIS_CLUSTER_NODES';

/** A Redis error as what is wrong and which setting fixes it. */
export function diagnose(error: unknown, topology: RedisTopology): string {
  const message = error instanceof Error ? error.message : String(error);
  const reply = message.split('\n')[0]!.slice(0, 200);
  if (/^(CROSSSLOT|MOVED|ASK) /.test(reply)) {
    return `${where(topology)} reaches a Redis Cluster node as a single server (${reply.split(' ')[0]}): list the cluster's nodes in REDIS_CLUSTER_NODES`;
  }
  if (/^CLUSTERDOWN/.test(reply)) {
    return `the Redis Cluster does not serve every slot (CLUSTERDOWN): check the cluster behind REDIS_CLUSTER_NODES`;
  }
  if (/^READONLY/.test(reply)) {
    return `${where(topology)} reaches a read-only replica (READONLY): point REDIS_URL at the primary, or set REDIS_SENTINELS and REDIS_SENTINEL_NAME`;
  }
  if (/^NOPERM/.test(reply)) {
    return `the Redis user lacks a permission the gateway needs (${reply}): grant the ACL of docs/operations.md to the user in REDIS_URL`;
  }
  if (/^(WRONGPASS|NOAUTH)/.test(reply)) {
    return `Redis refused the credentials (${reply.split(' ')[0]}): set the user and password in REDIS_URL`;
  }
  if (/^(ERR unknown command|NOSCRIPT|ERR .*scripting)/i.test(reply)) {
    return `Redis lacks a command the gateway needs (${reply}): it needs Redis 6.2 or newer with scripting`;
  }
  if (error instanceof ReplicationError) {
    return `${message}: start the replicas, or lower REDIS_WAIT_REPLICAS`;
  }
  return `Redis failed a check (${reply}): check ${where(topology)}`;
}

/** Runs the checks; resolves undefined when Redis can be used, else the problem in one line. */
export async function probeRedis(options: ProbeOptions): Promise<string | undefined> {
  const { redis, topology, keyPrefix } = options;
  const value = `${keyPrefix}health`;
  const stream = `${keyPrefix}health:stream`;
  try {
    if (topology.kind !== 'cluster') {
      // A Cluster node without REDIS_CLUSTER_NODES would answer a lucky slot: refuse it outright.
      const info = await redis.info('cluster').catch((error: unknown) => {
        if (error instanceof Error && /^NOPERM/.test(error.message)) return '';
        throw error;
      });
      if (/cluster_enabled:1/.test(info)) throw new Error('MOVED (cluster_enabled:1)');
    }
    await redis.eval(PROBE, 2, value, stream, 60_000);
    try {
      await redis.xgroup('CREATE', stream, 'probe', '0');
    } catch (error) {
      if (!(error instanceof Error && /^BUSYGROUP/.test(error.message))) throw error;
    }
    const read = (await redis.xreadgroup('GROUP', 'probe', 'probe', 'COUNT', 1, 'STREAMS', stream, '>')) as
      [string, [string, string[]][]][] | null;
    await redis.xautoclaim(stream, 'probe', 'probe', 0, '0-0', 'COUNT', 1);
    const ids = read?.[0]?.[1].map(([id]) => id) ?? [];
    if (ids.length > 0) await redis.xack(stream, 'probe', ...ids);
    if (options.waitReplicas > 0) {
      const acknowledged = await redis.wait(options.waitReplicas, options.waitTimeoutMs);
      if (acknowledged < options.waitReplicas) throw new ReplicationError(acknowledged, options.waitReplicas);
    }
    return undefined;
  } catch (error) {
    return diagnose(error, topology);
  }
}
