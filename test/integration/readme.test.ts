// The README's runnable shell blocks (those after a `<!-- runnable: name -->` line), run by bash as a newcomer
// would run them, against the gateway and emulator they start. What differs from a newcomer's machine, and
// only that, is rewritten: the documented ports become free ones (so the suite runs beside anything on
// 4000–4002 and 6379), `./data/` becomes a temporary folder, and the build is the one the global setup made
// (`npm start` → `node dist/main.js`, `npm run build` and `npm ci &&` dropped; `npm test` is this suite).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Client } from 'graphql-ws';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { cleanEnv, freePort } from '../helpers/process.js';
import { wsClient } from '../helpers/ws.js';

/** The runnable blocks by name, dedented. */
function runnableBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/<!-- runnable: ([\w-]+) -->\s*\n( *)```sh\n([\s\S]*?)\n *```/g)) {
    const indent = match[2]!.length;
    blocks.set(
      match[1]!,
      match[3]!
        .split('\n')
        .map((line) => line.slice(indent))
        .join('\n'),
    );
  }
  return blocks;
}

const blocks = runnableBlocks(readFileSync('README.md', 'utf8'));
const block = (name: string) => {
  const text = blocks.get(name);
  if (text === undefined) throw new Error(`README.md has no runnable block "${name}"`);
  return text;
};

interface Ports {
  gateway: number;
  emulator: number;
  second: number;
  redis: number;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'bgg-readme-'));
let ports: Ports;

function localized(script: string): string {
  return script
    .replace(/^npm ci && /gm, '')
    .replace(/^npm test\b.*$/gm, '')
    .replace(/^npm run build$/gm, '')
    .replace(
      /^npm run cluster$/gm,
      `node dist/tools/cluster.js --gateway-ports ${ports.gateway},${ports.second} --emulator-port ${ports.emulator} --redis-port ${ports.redis} --data-dir ${dataDir}/cluster`,
    )
    .replace(/\bnpm start\b/g, 'node dist/main.js')
    .replace(/\.\/data\//g, `${dataDir}/`)
    .replace(/\b4000\b/g, String(ports.gateway))
    .replace(/\b4001\b/g, String(ports.emulator))
    .replace(/\b4002\b/g, String(ports.second))
    .replace(/\b6379\b/g, String(ports.redis));
}

interface Run {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  /** Resolves once the output so far matches `pattern` at least `count` times. */
  printed(pattern: RegExp, count?: number): Promise<RegExpMatchArray[]>;
  /** SIGTERM to bash and everything it started; resolves when all of them have closed the output. */
  stop(): Promise<void>;
}

const running: Run[] = [];

/** Runs a script in its own process group, so that it and whatever it put in the background stop together. */
function bash(script: string, env: Record<string, string> = {}): Run {
  const child = spawn('bash', ['-c', `${localized(script)}\nwait`], {
    detached: true,
    env: cleanEnv({
      PORT: String(ports.gateway),
      EMULATOR_PORT: String(ports.emulator),
      DATA_DIR: dataDir,
      ...env,
    }),
  });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const closed = once(child, 'close');
  const run: Run = {
    child,
    output: () => output,
    printed: (pattern, count = 1) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const matches = [...output.matchAll(new RegExp(pattern, 'g'))];
          if (matches.length < count) return;
          child.stdout.off('data', check);
          resolve(matches);
        };
        child.stdout.on('data', check);
        void closed.then(() => reject(new Error(`the script ended:\n${output}`)));
        check();
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      await closed;
    },
  };
  running.push(run);
  return run;
}

/** Runs a script to its end; resolves with its standard output. */
async function runToEnd(script: string, env: Record<string, string>): Promise<string> {
  const run = bash(script, env);
  const [code] = (await once(run.child, 'close')) as [number];
  expect({ code, output: run.output() }).toEqual({ code: 0, output: expect.any(String) });
  return run.output();
}

/**
 * Subscribes to a contract's events; resolves once the socket is connected, with the name of the first event.
 * The event it waits for comes back from the emulator as a webhook, long after the subscribe message.
 */
async function firstEvent(client: Client, contractId: string): Promise<{ event: Promise<string> }> {
  const event = new Promise<string>((resolve, reject) => {
    client.subscribe<{ billwerkEvents: { event: string } }>(
      { query: `subscription { billwerkEvents(contractId: "${contractId}") { event } }` },
      {
        next: (result) => resolve(result.data!.billwerkEvents.event),
        error: reject,
        complete: () => undefined,
      },
    );
  });
  await new Promise<void>((resolve) => client.on('connected', () => resolve()));
  // Wrapped: a promise resolved with a promise would wait for the event itself.
  return { event };
}

beforeAll(async () => {
  ports = {
    gateway: await freePort(),
    emulator: await freePort(),
    second: await freePort(),
    redis: await freePort(),
  };
});
afterAll(async () => {
  await Promise.all(running.map((run) => run.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

it('marks the quick start, the curl examples and the several-instances recipe as runnable', () => {
  expect([...blocks.keys()]).toEqual(
    expect.arrayContaining(['quick-start', 'query', 'mutation', 'cluster', 'several-instances']),
  );
  expect(block('quick-start')).toMatch(/^npm ci && npm start\b/m);
});

describe('the quick start, then the curl examples', () => {
  let gateway: Run;
  let key: string;
  beforeAll(async () => {
    gateway = bash(block('quick-start'));
    key = (await gateway.printed(/Admin key (\S+)/))[0]![1]!;
  });
  afterAll(() => gateway.stop());

  it('prints the dashboard URL with the key, and serves the dashboard there', async () => {
    const [dashboard] = await gateway.printed(/Dashboard (http:\/\/\S+)\/#key=(\S+)/);
    expect(dashboard![2]).toBe(key);
    expect((await fetch(dashboard![1]!)).status).toBe(200);
  });

  it('answers the query example with contracts', async () => {
    const answer = JSON.parse(await runToEnd(block('query'), { KEY: key })) as {
      data: { contracts: { edges: { node: { status: string } }[] } };
    };
    expect(answer.data.contracts.edges.length).toBeGreaterThan(0);
  });

  it('runs the mutation example, and its event reaches a graphql-ws subscriber', async () => {
    const client = wsClient(`http://127.0.0.1:${ports.gateway}/graphql`, { credential: key });
    try {
      const { event } = await firstEvent(client, SEED_IDS.contracts.adaBasicMonthly);
      const answer = JSON.parse(await runToEnd(block('mutation'), { KEY: key })) as {
        data: { terminateContract: { endDate: string } };
      };
      expect(answer.data.terminateContract.endDate).toEqual(expect.any(String));
      expect(await event).toBe('ContractCancelled');
    } finally {
      await client.dispose();
    }
  });
});

/** Both gateways are ready on the shared Redis, and an event caused through one reaches a subscriber of the other. */
async function expectSharedInstances(run: Run, adminKey: string): Promise<void> {
  const urls = (await run.printed(/GraphQL\s+(http:\/\/\S+)\/graphql/, 2)).map((m) => m[1]!).sort();
  expect(urls).toEqual([`http://127.0.0.1:${ports.gateway}`, `http://127.0.0.1:${ports.second}`].sort());
  for (const url of urls) {
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks).toEqual({ billwerk: 'ok', store: 'ok', redis: 'ok' });
  }
  const client = wsClient(`http://127.0.0.1:${ports.second}/graphql`, { credential: adminKey });
  try {
    const contractId = SEED_IDS.contracts.graceProYearly;
    const { event } = await firstEvent(client, contractId);
    const mutation = block('mutation').replace(SEED_IDS.contracts.adaBasicMonthly, contractId);
    const answer = JSON.parse(await runToEnd(mutation, { KEY: adminKey })) as { data: unknown };
    expect(answer.data).toEqual({ terminateContract: expect.anything() });
    expect(await event).toBe('ContractCancelled');
  } finally {
    await client.dispose();
  }
}

describe('several instances', () => {
  it('npm run cluster starts one emulator, one Redis and two gateways that share events', async () => {
    const cluster = bash(block('cluster'));
    try {
      const [banner] = await cluster.printed(/cluster is running[\s\S]*Admin key (\S+)/);
      await expectSharedInstances(cluster, banner![1]!);
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it('the long form does the same by hand', async () => {
    const recipe = block('several-instances');
    const cluster = bash(recipe);
    try {
      await expectSharedInstances(cluster, /GATEWAY_ADMIN_KEY=(\S+)/.exec(recipe)![1]!);
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
