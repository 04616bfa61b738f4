// How the gateway reaches Redis: one server (REDIS_URL), a primary found through Sentinel
// (REDIS_SENTINELS + REDIS_SENTINEL_NAME) or a Cluster (REDIS_CLUSTER_NODES). settings.ts reads the
// variables with these helpers; connection.ts opens the matching ioredis client.

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type RedisTopology =
  | { readonly kind: 'server'; readonly url: string }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly HostPort[]; readonly name: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly HostPort[] };

/** Credentials and TLS, from REDIS_URL (its host is used only by the `server` topology). */
export interface RedisAuth {
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  /** `rediss://`: every connection (Sentinels and cluster nodes included) speaks TLS. */
  readonly tls: boolean;
  /** REDIS_TLS_CA_FILE's contents: the CA that signed the servers' certificates (PEM). */
  readonly tlsCa?: string;
}

/** `host:port,host:port` → addresses; a string names what is wrong. */
export function parseHostPorts(value: string): HostPort[] | string {
  const nodes: HostPort[] = [];
  for (const item of value.split(',').map((part) => part.trim())) {
    const match = /^(\[[0-9a-fA-F:]+\]|[\w.-]+):(\d{1,5})$/.exec(item);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) return `expected host:port,… (got an item "${item}")`;
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

/** Credentials and TLS from a redis:// or rediss:// URL. */
export function authFromUrl(url: string | undefined, tlsCa: string | undefined): RedisAuth {
  if (!url) return { tls: false, tlsCa };
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: db ? Number(db) : undefined,
    tls: parsed.protocol === 'rediss:',
    tlsCa,
  };
}

/**
 * The key prefix a Cluster needs: a multi-key script must find all its keys in one hash slot, and Redis
 * hashes only the part between the first `{` and `}` when there is one. So `bgg:` becomes `{bgg}:` and every
 * key of the deployment lands in one slot (one deployment's keys on one shard: the gateway's writes are
 * small and its scripts need them together). A prefix that already has a tag is kept as it is.
 */
export function hashTaggedPrefix(prefix: string): string {
  if (/\{[^}]+\}/.test(prefix)) return prefix;
  const name = prefix.replace(/:+$/, '');
  return `{${name}}:`;
}
