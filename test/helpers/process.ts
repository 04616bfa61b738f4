// Gateway processes as deployments run them (`node dist/main.js`), for tests that kill, restart or run
// several of them. Every process started here is killed in `killAll` (call it in afterAll).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { type Emulator } from '../../src/emulator/emulator.js';
import { TEST_ADMIN_KEY } from './auth.js';
import { postWebhook } from './http.js';

export interface Child {
  process: ChildProcessWithoutNullStreams;
  output: () => string;
  /** Resolves with the first match of `pattern` in the child's output. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

const children: Child[] = [];

export function start(command: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(command, args, { env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const handle: Child = {
    process: child,
    output: () => output,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            child.stdout.off('data', check);
            resolve(match);
          }
        };
        child.stdout.on('data', check);
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
        check();
      }),
  };
  children.push(handle);
  return handle;
}

/** Kills every process these helpers started that is still running. */
export function killAll(): void {
  for (const child of children) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
}

/** The environment without any billwerk or webhook settings of the developer's own. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...extra };
  for (const name of Object.keys(env)) {
    if (
      /^(BILLWERK_|WEBHOOK_|EMULATOR_|GATEWAY_ADMIN_KEY|API_KEYS|JWT_|REDIS_)/.test(name) &&
      !(name in extra)
    )
      delete env[name];
  }
  return env;
}

/** The Basic credentials gateway processes started here require on their webhook endpoint. */
export const WEBHOOK_AUTH = { user: 'billwerk', password: 'restart-test-secret' };

/** `node dist/main.js` against an in-test emulator, as deployments run it. */
export const gatewayProcess = (emulator: Emulator, dataDir: string, extra: Record<string, string> = {}) =>
  start(
    process.execPath,
    ['dist/main.js'],
    cleanEnv({
      PORT: '0',
      DATA_DIR: dataDir,
      GATEWAY_ADMIN_KEY: TEST_ADMIN_KEY,
      BILLWERK_BASE_URL: emulator.url,
      BILLWERK_CLIENT_ID: emulator.credentials.clientId,
      BILLWERK_CLIENT_SECRET: emulator.credentials.clientSecret,
      WEBHOOK_BASIC_AUTH: `${WEBHOOK_AUTH.user}:${WEBHOOK_AUTH.password}`,
      ...extra,
    }),
  );

/** Resolves with the base URL once a gateway process printed it. */
export const gatewayUrl = async (child: Child) =>
  (await child.waitFor(/GraphQL\s+(http:\/\/\S+)\/graphql/))[1]!;

/** Posts a notice to a gateway process's webhook endpoint; resolves with the status (0 when unreachable). */
export const postNotice = (url: string, body: unknown) =>
  postWebhook(`${url}/webhooks/billwerk`, body, { auth: WEBHOOK_AUTH }).then(
    (r) => r.status,
    () => 0,
  );

/** A port free right now, for a process that must come back on the same address after a restart. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
