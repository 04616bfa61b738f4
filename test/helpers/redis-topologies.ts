// Redis as operators run it, for tests: a 3-node Cluster, a primary with a replica and three Sentinels,
// and TLS certificates. Built from the same redis-server binary as redis-server.ts; waits are bounded
// polls of the servers' own state, never sleeps.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { makeCertificates } from '../../src/tools/cluster-redis.js';
import { freePort } from './process.js';
import { REDIS_SERVER, startRedis, type RedisServer, type TlsFiles } from './redis-server.js';

const run = promisify(execFile);
const REDIS_CLI = path.join(path.dirname(REDIS_SERVER), 'redis-cli');

/** Polls `probe` every 50 ms until it holds; fails with `what` after `timeoutMs`. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One command on a short-lived connection (for inspecting and steering the servers). */
export const command = (port: number, ...args: (string | number)[]): Promise<unknown> =>
  commandOn(port, undefined, ...args);

/** `command` for a server that speaks TLS only, trusting the CA in `tls`. */
export async function commandOn(
  port: number,
  tls: TlsFiles | undefined,
  ...args: (string | number)[]
): Promise<unknown> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    ...(tls && { tls: { ca: readFileSync(tls.ca) } }),
  });
  try {
    await redis.connect();
    return await redis.call(String(args[0]), ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

export interface RedisCluster {
  readonly nodes: RedisServer[];
  /** REDIS_CLUSTER_NODES for it. */
  readonly setting: string;
  close(): Promise<void>;
}

/** Three primaries, no replicas, every slot covered; with `tls`, clients and the cluster bus speak TLS only. */
export async function startCluster(tls?: TlsFiles): Promise<RedisCluster> {
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    '2000',
  ];
  if (tls) args.push('--tls-cluster', 'yes');
  const nodes = await Promise.all([0, 1, 2].map(() => startRedis({ args, tls })));
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
  const cli = tls ? ['--tls', '--cacert', tls.ca] : [];
  await run(REDIS_CLI, [
    ...cli,
    '--cluster',
    'create',
    ...addresses,
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  for (const node of nodes) {
    await until('the cluster to serve every slot', async () =>
      String(await commandOn(node.port, tls, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
    );
  }
  return {
    nodes,
    setting: addresses.join(','),
    close: async () => void (await Promise.all(nodes.map((node) => node.close()))),
  };
}

/** A replica of `primary`, once its link is up; `args` are more redis-server arguments. */
export async function startReplica(primary: RedisServer, args: string[] = []): Promise<RedisServer> {
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port), ...args] });
  await replicating(primary.port, replica.port);
  return replica;
}

/**
 * Resolves once the server on `replicaPort` follows the one on `primaryPort` and that one counts it
 * (`state=online`, which after a diskless sync waits for the replica's first acknowledgement): until
 * then WAIT does not count it.
 */
export async function replicating(primaryPort: number, replicaPort: number): Promise<void> {
  await until('the replica to sync', async () => {
    const replica = String(await command(replicaPort, 'INFO', 'replication'));
    const primary = String(await command(primaryPort, 'INFO', 'replication'));
    return (
      replica.includes('master_link_status:up') &&
      new RegExp(`slave\\d+:ip=[^,]+,port=${replicaPort},state=online`).test(primary)
    );
  });
}

export interface Sentinels {
  /** REDIS_SENTINELS for them. */
  readonly setting: string;
  readonly ports: number[];
  readonly name: string;
  /** The port of the primary the Sentinels currently name. */
  primaryPort(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Three Sentinels watching `primary` (quorum 2), quick to act: a primary is down after 1 s without an
 * answer, and a failover that stalls is retried after 3 s.
 */
export async function startSentinels(
  primary: RedisServer,
  options: { name?: string; tls?: TlsFiles; replicas?: number } = {},
): Promise<Sentinels> {
  const { name = 'bgg', tls, replicas = 1 } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'sentinel-test-'));
  const ports = await Promise.all([0, 1, 2].map(() => freePort()));
  const children: ChildProcess[] = [];
  for (const [index, port] of ports.entries()) {
    const file = path.join(dir, `sentinel-${index}.conf`);
    writeFileSync(
      file,
      [
        ...(tls
          ? [
              'port 0',
              `tls-port ${port}`,
              `tls-cert-file ${tls.cert}`,
              `tls-key-file ${tls.key}`,
              `tls-ca-cert-file ${tls.ca}`,
              'tls-auth-clients no',
              // The Sentinels reach the primary and the replicas over TLS as well.
              'tls-replication yes',
            ]
          : [`port ${port}`]),
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 3000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn(REDIS_SERVER, [file, '--sentinel'], { stdio: 'ignore' });
    children.push(child);
  }
  const primaryPort = async () => {
    const reply = (await commandOn(ports[0]!, tls, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[];
    return Number(reply[1]);
  };
  // Each Sentinel must know the others and the replicas before a failover can be voted.
  for (const port of ports) {
    await until('the Sentinels to find each other and the replicas', async () => {
      const info = (await commandOn(port, tls, 'SENTINEL', 'MASTER', name)) as string[];
      const field = (key: string) => Number(info[info.indexOf(key) + 1]);
      return field('num-other-sentinels') === 2 && field('num-slaves') >= replicas;
    });
  }
  return {
    setting: ports.map((port) => `127.0.0.1:${port}`).join(','),
    ports,
    name,
    primaryPort,
    async close() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A CA and a server certificate for 127.0.0.1 signed by it, in a temporary folder (`dir`). */
export async function makeTestCertificates(): Promise<TlsFiles & { dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-tls-'));
  return { dir, ...(await makeCertificates(dir)) };
}
