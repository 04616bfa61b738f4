// A real redis-server for tests and benchmarks: on a free port, its files in a temporary folder, persistence as the
// operations guide recommends (AOF, fsync on every write). `stop` and `start` restart it on the same
// port and folder, so what it acknowledged must come back from its append-only file.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './process.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Starts the server again (after `stop` or `kill`) on the same port and folder. */
  start(): Promise<void>;
  /** Shuts it down the way an operator would (SIGTERM). */
  stop(): Promise<void>;
  /** Ends it abruptly (SIGKILL): only what reached the append-only file survives. */
  kill(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/** PEM files for a server that speaks TLS only (tls.ts makes them). */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface RedisServerOptions {
  /** More redis-server arguments, e.g. cluster mode or `--replicaof`. */
  args?: string[];
  /** Listen with TLS only (the URL is then rediss://); clients need no certificate of their own. */
  tls?: TlsFiles;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-test-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const listen = options.tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        options.tls.cert,
        '--tls-key-file',
        options.tls.key,
        '--tls-ca-cert-file',
        options.tls.ca,
        '--tls-auth-clients',
        'no',
      ]
    : ['--port', String(port)];

  async function start(): Promise<void> {
    const proc = spawn(
      REDIS_SERVER,
      [
        ...listen,
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--protected-mode',
        'no',
        '--loglevel',
        'notice',
        '--logfile',
        '',
        ...(options.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) {
          proc.stdout.off('data', onData);
          proc.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null) =>
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', onExit);
    });
    // Keep draining its output so it never blocks on a full pipe.
    proc.stdout.resume();
    proc.stderr.resume();
  }

  async function end(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    await exited;
  }

  await start();
  return {
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    port,
    start,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async close() {
      await end('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
