// The Redis behind `npm run cluster -- --redis=<topology>`: one server (the default), a primary with a
// replica and three Sentinels, a 3-node Cluster, or one server speaking TLS only, each persisted as
// docs/operations.md asks for. Returns the REDIS_* settings the gateways get.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

export const REDIS_TOPOLOGIES = ['server', 'sentinel', 'cluster', 'tls'] as const;
export type RedisTopologyName = (typeof REDIS_TOPOLOGIES)[number];

export interface RedisTopologyOptions {
  topology: RedisTopologyName;
  /** The first port; the others follow it (replica, cluster nodes) or sit 20000 above (Sentinels). */
  port: number;
  /** Where the servers keep their files. */
  dir: string;
  redisServer: string;
  /** Every process started is pushed here, so the caller stops them. */
  children: ChildProcess[];
  /** Resolves when `child` printed `ready`. */
  started: (child: ChildProcess, ready: RegExp, name: string) => Promise<void>;
}

export interface StartedTopology {
  env: Record<string, string>;
  /** Lines for the banner. */
  describe: string[];
}

/** Resolves when the process printed `ready`; rejects, with what it printed, if it exits first. */
export function started(child: ChildProcess, ready: RegExp, name: string): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', (error) => reject(new Error(`${name} did not start: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
}

/** Stops every child still running (SIGTERM) and waits for each to exit. */
export async function stopChildren(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }),
  );
}

const run = promisify(execFile);
const READY = /Ready to accept connections/;
const SENTINEL_NAME = 'bgg';

/**
 * A CA and a certificate for 127.0.0.1 signed by it, made with openssl in `dir` (valid two days): enough for a
 * redis-server speaking TLS to clients that trust that CA (REDIS_TLS_CA_FILE).
 */
export async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args);
  const subject = (cn: string) => ['-nodes', '-subj', `/CN=${cn}`, '-newkey', 'rsa:2048'];
  await openssl(
    'req',
    '-x509',
    ...subject('bgg-cluster-ca'),
    '-days',
    '2',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  );
  await openssl('req', ...subject('127.0.0.1'), '-keyout', file('redis.key'), '-out', file('redis.csr'));
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    file('redis.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('san.ext'),
    '-out',
    file('redis.pem'),
  );
  return { ca: file('ca.pem'), cert: file('redis.pem'), key: file('redis.key') };
}

/** redis-cli beside the redis-server given, or on PATH. */
const redisCli = (redisServer: string) =>
  path.isAbsolute(redisServer) ? path.join(path.dirname(redisServer), 'redis-cli') : 'redis-cli';

export async function startRedisTopology(options: RedisTopologyOptions): Promise<StartedTopology> {
  switch (options.topology) {
    case 'server':
      return startSingleServer(options);
    case 'tls':
      return startTlsServer(options);
    case 'sentinel':
      return startSentinelGroup(options);
    case 'cluster':
      return startCluster(options);
  }
}

/** One redis-server on port `at`, persisting every write (appendfsync always), its files in `dir/name`. */
async function startServer(
  options: RedisTopologyOptions,
  name: string,
  at: number,
  extra: string[] = [],
): Promise<void> {
  const folder = path.join(options.dir, name);
  mkdirSync(folder, { recursive: true });
  const child = spawn(
    options.redisServer,
    ['--port', String(at), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', ...extra],
    { cwd: folder, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  options.children.push(child);
  await options.started(child, READY, `redis-server ${name}`);
}

async function startSingleServer(options: RedisTopologyOptions): Promise<StartedTopology> {
  const { port } = options;
  await startServer(options, 'server', port);
  return { env: { REDIS_URL: `redis://127.0.0.1:${port}` }, describe: [`redis://127.0.0.1:${port}`] };
}

/** One server answering TLS only (its plain port closed), with a certificate from a CA made for it. */
async function startTlsServer(options: RedisTopologyOptions): Promise<StartedTopology> {
  const { port } = options;
  const { ca, cert, key } = await makeCertificates(options.dir);
  await startServer(options, 'tls', 0, [
    '--tls-port',
    String(port),
    '--tls-cert-file',
    cert,
    '--tls-key-file',
    key,
    '--tls-ca-cert-file',
    ca,
    '--tls-auth-clients',
    'no',
  ]);
  return {
    env: { REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_TLS_CA_FILE: ca },
    describe: [`rediss://127.0.0.1:${port} (CA ${ca})`],
  };
}

/** A primary, its replica, and three Sentinels watching them. */
async function startSentinelGroup(options: RedisTopologyOptions): Promise<StartedTopology> {
  const { port, dir } = options;
  await startServer(options, 'primary', port);
  await startServer(options, 'replica', port + 1, ['--replicaof', '127.0.0.1', String(port)]);
  await replicaSynced(options, port + 1);
  const sentinels = [0, 1, 2].map((i) => port + 20000 + i);
  for (const [i, at] of sentinels.entries()) {
    const conf = path.join(dir, `sentinel-${i}.conf`);
    writeFileSync(
      conf,
      [
        `port ${at}`,
        'bind 127.0.0.1',
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${port} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 2000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 10000`,
        '',
      ].join('\n'),
    );
    const child = spawn(options.redisServer, [conf, '--sentinel'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    options.children.push(child);
    await options.started(child, /\+monitor master/, `sentinel ${i}`);
  }
  const setting = sentinels.map((at) => `127.0.0.1:${at}`).join(',');
  return {
    // One replica: the gateways wait for it, so a failover (SENTINEL FAILOVER bgg) loses nothing.
    env: { REDIS_SENTINELS: setting, REDIS_SENTINEL_NAME: SENTINEL_NAME, REDIS_WAIT_REPLICAS: '1' },
    describe: [
      `primary 127.0.0.1:${port}, replica 127.0.0.1:${port + 1}, Sentinels ${setting} (name ${SENTINEL_NAME})`,
      `try a failover: redis-cli -p ${sentinels[0]} SENTINEL FAILOVER ${SENTINEL_NAME}`,
    ],
  };
}

/** The gateways wait for this replica (REDIS_WAIT_REPLICAS=1): start them once it has synced. */
async function replicaSynced(options: RedisTopologyOptions, replicaPort: number): Promise<void> {
  for (let tries = 0; ; tries += 1) {
    const { stdout } = await run(redisCli(options.redisServer), [
      '-p',
      String(replicaPort),
      'INFO',
      'replication',
    ]);
    if (stdout.includes('master_link_status:up')) return;
    if (tries > 100) throw new Error('the replica did not sync with the primary');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Three primaries without replicas, joined into one Cluster. */
async function startCluster(options: RedisTopologyOptions): Promise<StartedTopology> {
  const nodes = [0, 1, 2].map((i) => options.port + i);
  await Promise.all(
    nodes.map((at, i) =>
      startServer(options, `node-${i}`, at, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
      ]),
    ),
  );
  const setting = nodes.map((at) => `127.0.0.1:${at}`).join(',');
  await run(redisCli(options.redisServer), [
    '--cluster',
    'create',
    ...setting.split(','),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  return { env: { REDIS_CLUSTER_NODES: setting }, describe: [`cluster ${setting} (keys {bgg}:…)`] };
}
