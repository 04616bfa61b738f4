// The Redis settings: which topology (one server, Sentinel, Cluster), with which credentials, TLS, key prefix
// and replication wait. config.ts reads and validates the variables; this turns them into RedisConfig.
import { readFileSync } from 'node:fs';
import {
  authFromUrl,
  hashTaggedPrefix,
  parseHostPorts,
  type RedisAuth,
  type RedisTopology,
} from './topology.js';

export interface RedisConfig {
  /** One server (REDIS_URL), Sentinel (REDIS_SENTINELS) or Cluster (REDIS_CLUSTER_NODES). */
  topology: RedisTopology;
  /** REDIS_URL's credentials and scheme (TLS), REDIS_TLS_CA_FILE's CA: never logged. */
  auth: RedisAuth;
  /**
   * REDIS_KEY_PREFIX: prefix of every key, so deployments can share a Redis. With a Cluster it carries a
   * hash tag (`bgg:` becomes `{bgg}:`, topology.ts says why). @default 'bgg:'
   */
  keyPrefix: string;
  /**
   * REDIS_WAIT_REPLICAS: a webhook is answered 2xx only once this many replicas have its event (WAIT), so
   * a failover cannot lose it; 0 = on the primary's acknowledgement. @default 0
   */
  waitReplicas: number;
  /** REDIS_WAIT_TIMEOUT_MS: longest wait for those replicas; then the webhook gets 503. @default 1000 */
  waitTimeoutMs: number;
  /**
   * REDIS_LEASE_MS: how long the enrichment lease lasts without renewal, so how long enrichment waits
   * after the instance holding it dies. @default 5000
   */
  leaseMs: number;
}

/** The REDIS_* variables as config.ts's schema parsed them. */
export interface RedisEnv {
  REDIS_URL?: string;
  REDIS_KEY_PREFIX: string;
  REDIS_LEASE_MS: number;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_TLS_CA_FILE?: string;
  REDIS_WAIT_REPLICAS: number;
  REDIS_WAIT_TIMEOUT_MS: number;
}

/** The Redis settings, or undefined without Redis; each problem names its variable. */
export function readRedisConfig(e: RedisEnv, problems: string[]): Readonly<RedisConfig> | undefined {
  const nodes = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const parsed = parseHostPorts(value);
    if (typeof parsed === 'string') problems.push(`${name}: ${parsed}`);
    return typeof parsed === 'string' ? undefined : parsed;
  };
  const sentinels = nodes('REDIS_SENTINELS', e.REDIS_SENTINELS);
  const clusterNodes = nodes('REDIS_CLUSTER_NODES', e.REDIS_CLUSTER_NODES);
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES) {
    problems.push('REDIS_SENTINELS and REDIS_CLUSTER_NODES: set one of them, not both');
  }
  if (e.REDIS_SENTINELS && !e.REDIS_SENTINEL_NAME) {
    problems.push(
      'REDIS_SENTINEL_NAME: needed with REDIS_SENTINELS (the name Sentinel monitors the primary as)',
    );
  }
  if (e.REDIS_WAIT_REPLICAS > 0 && e.REDIS_CLUSTER_NODES) {
    // WAIT counts the writes of one connection to one node; the cluster client spreads them over several.
    problems.push('REDIS_WAIT_REPLICAS: not supported with REDIS_CLUSTER_NODES (use 0)');
  }
  if (e.REDIS_TLS_CA_FILE && !e.REDIS_URL?.startsWith('rediss:')) {
    // TLS is asked for by the scheme; with Sentinel or Cluster, REDIS_URL carries only it and the credentials.
    problems.push(
      'REDIS_TLS_CA_FILE: needs REDIS_URL=rediss://… (TLS), also with REDIS_SENTINELS or REDIS_CLUSTER_NODES',
    );
  }
  let tlsCa: string | undefined;
  if (e.REDIS_TLS_CA_FILE) {
    try {
      tlsCa = readFileSync(e.REDIS_TLS_CA_FILE, 'utf8');
    } catch (error) {
      problems.push(
        `REDIS_TLS_CA_FILE: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const topology: RedisTopology | undefined = sentinels
    ? { kind: 'sentinel', sentinels, name: e.REDIS_SENTINEL_NAME ?? '' }
    : clusterNodes
      ? { kind: 'cluster', nodes: clusterNodes }
      : e.REDIS_URL
        ? { kind: 'server', url: e.REDIS_URL }
        : undefined;
  if (!topology) return undefined;
  return Object.freeze({
    topology: Object.freeze(topology),
    auth: Object.freeze(authFromUrl(e.REDIS_URL, tlsCa)),
    keyPrefix: topology.kind === 'cluster' ? hashTaggedPrefix(e.REDIS_KEY_PREFIX) : e.REDIS_KEY_PREFIX,
    leaseMs: e.REDIS_LEASE_MS,
    waitReplicas: e.REDIS_WAIT_REPLICAS,
    waitTimeoutMs: e.REDIS_WAIT_TIMEOUT_MS,
  });
}
