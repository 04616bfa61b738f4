// A redis-server for a benchmark: the one `npm run cluster` starts (AOF with fsync on every write, as the
// operations guide asks), on a free port, its files in a temporary folder that `close` removes.
import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { started, startRedisTopology, stopChildren } from '../../src/tools/cluster-redis.js';

export interface BenchRedis {
  readonly url: string;
  /** Stops the server and removes its folder. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts `redisServer` (the binary's path). */
export async function startRedis(redisServer: string): Promise<BenchRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-redis-'));
  const children: ChildProcess[] = [];
  const { env } = await startRedisTopology({
    topology: 'server',
    port: await freePort(),
    dir,
    redisServer,
    children,
    started,
  });
  return {
    url: env.REDIS_URL!,
    async close() {
      await stopChildren(children);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
