// `npm run cluster`: several instances on one machine, in one command. One embedded emulator (two `npm start`s
// would each start their own, two separate billwerks), one redis-server and two gateway processes that use
// that emulator as their billwerk and share the Redis, as docs/operations.md deploys them. Ctrl-C stops all.
// `--redis=sentinel|cluster|tls` puts another Redis topology behind them (cluster-redis.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createEmulator } from '../emulator/emulator.js';
import {
  REDIS_TOPOLOGIES,
  started,
  startRedisTopology,
  stopChildren,
  type RedisTopologyName,
} from './cluster-redis.js';

const { values: args } = parseArgs({
  options: {
    'gateway-ports': { type: 'string', default: '4000,4002' },
    'emulator-port': { type: 'string', default: '4001' },
    'redis-port': { type: 'string', default: '6379' },
    'redis-server': { type: 'string', default: 'redis-server' },
    redis: { type: 'string', default: 'server' },
    'data-dir': { type: 'string', default: './data/cluster' },
  },
});
const gatewayPorts = args['gateway-ports'].split(',').map(Number);
if (!(REDIS_TOPOLOGIES as readonly string[]).includes(args.redis)) {
  process.stderr.write(`--redis: expected one of ${REDIS_TOPOLOGIES.join(', ')}\n`);
  process.exit(1);
}
const topology = args.redis as RedisTopologyName;

const children: ChildProcess[] = [];
const redisDir = mkdtempSync(path.join(tmpdir(), 'bgg-cluster-redis-'));

async function stopAll(): Promise<void> {
  await stopChildren(children);
  rmSync(redisDir, { recursive: true, force: true });
}

const emulator = await createEmulator({
  port: Number(args['emulator-port']),
  logger: pino({ level: 'warn' }),
});

const redisPort = Number(args['redis-port']);

// Fresh secrets per run: the webhook path token and the admin key both gateways accept.
const adminKey = randomBytes(24).toString('base64url');
const env = {
  ...process.env,
  BILLWERK_BASE_URL: emulator.url,
  BILLWERK_CLIENT_ID: emulator.credentials.clientId,
  BILLWERK_CLIENT_SECRET: emulator.credentials.clientSecret,
  WEBHOOK_PUBLIC_URL: `http://127.0.0.1:${gatewayPorts[0]}`,
  WEBHOOK_PATH_TOKEN: randomBytes(24).toString('base64url'),
  GATEWAY_ADMIN_KEY: adminKey,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
};
const names = gatewayPorts.map((_, i) => String.fromCharCode(97 + i));

let redisLines: string[] = [];
try {
  // Persistence as docs/operations.md asks for: an acknowledged webhook survives a crash of Redis.
  const redis = await startRedisTopology({
    topology,
    port: redisPort,
    dir: redisDir,
    redisServer: args['redis-server'],
    children,
    started,
  });
  redisLines = redis.describe;
  Object.assign(env, redis.env);
  await Promise.all(
    gatewayPorts.map((port, i) => {
      const gateway = spawn(process.execPath, [path.resolve('dist/main.js')], {
        env: { ...env, PORT: String(port), DATA_DIR: path.join(args['data-dir'], names[i]!) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(gateway);
      // Its banner and its log lines (LOG_LEVEL, warn by default) go to this terminal.
      gateway.stdout.pipe(process.stdout);
      return started(gateway, /is running/, `gateway ${names[i]}`);
    }),
  );
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  if (children.some((child) => child.exitCode !== null || child.signalCode !== null))
    process.stderr.write('Is redis-server installed? sudo apt-get install -y redis-server\n');
  await stopAll();
  await emulator.close();
  process.exit(1);
}

process.stdout.write(
  [
    'billwerk-graphql-gateway cluster is running',
    ...gatewayPorts.map(
      (port, i) =>
        `  gateway ${names[i]}  http://127.0.0.1:${port}/graphql  (dashboard http://127.0.0.1:${port}/#key=${adminKey})`,
    ),
    `  emulator   ${emulator.apiUrl}`,
    ...redisLines.map((line) => `  redis      ${line}`),
    `  Admin key ${adminKey}`,
    '',
  ].join('\n'),
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void stopAll()
    .then(() => emulator.close())
    .then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
