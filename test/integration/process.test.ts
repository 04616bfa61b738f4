// The gateway as a process, as users run it: `npm start` with no configuration (embedded emulator), and
// a gateway killed with SIGKILL right after acknowledging webhooks, or stopped with SIGTERM while they are
// in flight, whose restart loses none of them.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphQLClient, gql } from 'graphql-request';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { FROM_START } from '../helpers/probes.js';
import { cleanEnv, gatewayProcess, killAll, postNotice, start } from '../helpers/process.js';
import { collect, wsClient, type Collector } from '../helpers/ws.js';

afterAll(killAll);

const post = postNotice;

const PROBE = /* GraphQL */ `
  subscription Probe($after: String) {
    billwerkEvents(types: ["RestartProbe"], after: $after) {
      cursor
      payload
    }
  }
`;
interface Probe {
  billwerkEvents: { cursor: string; payload: { N: number } };
}

/**
 * Posts one probe (N = 0) and resolves with its cursor once every subscriber has it. The subscribers replay
 * the log from its start (FROM_START), so the probe reaches each whether or not its subscription was live
 * when the probe was stored. Probes are left out of the counts below.
 */
async function firstProbe(url: string, subs: Collector<Probe>[]): Promise<string> {
  expect(await post(url, { Event: 'RestartProbe', ContractId: '65f000000000000000000901', N: 0 })).toBe(202);
  await Promise.all(subs.map((sub) => sub.waitFor(1)));
  return subs[0]!.items[0]!.billwerkEvents.cursor;
}

/** The N of the events received, probes left out. */
const numbers = (items: Probe[]) => items.map((i) => i.billwerkEvents.payload.N).filter((n) => n > 0);

describe('the gateway process', () => {
  it('npm start serves health and a query against the embedded emulator, then stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-start-'));
    // Port 0: any free port, so the test never collides with a gateway a developer is running.
    const child = start(
      'npm',
      ['start', '--silent'],
      cleanEnv({ PORT: '0', EMULATOR_PORT: '0', DATA_DIR: dataDir }),
    );
    const [, url] = await child.waitFor(/GraphQL\s+(http:\/\/\S+)\/graphql/);
    expect(child.output()).toMatch(/embedded emulator at http:\/\/\S+\/api\/v1/);
    // No key configured: one is generated and printed, so trying the gateway stays two commands.
    const [, adminKey] = await child.waitFor(/Admin key (\S+)/);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const anonymous = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ planGroups { name } }' }),
    });
    expect(anonymous.status).toBe(401);
    const client = new GraphQLClient(`${url}/graphql`, { headers: { authorization: `Bearer ${adminKey}` } });
    const data = await client.request<{ planGroups: { name: string; currency: string }[] }>(gql`
      {
        planGroups {
          name
          currency
        }
      }
    `);
    expect(data.planGroups[0]).toEqual({ name: 'Demo SaaS', currency: 'EUR' });
    // main.ts wires the billwerk client's calls and Node's process metrics into the gateway's registry.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /^gateway_billwerk_request_duration_seconds_count\{method="GET",endpoint="\/[\w{}/]+",status="200"\} [1-9]/m,
    );
    expect(metrics).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(metrics).not.toContain(adminKey);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // npm passes SIGTERM on to the gateway and ends by the signal itself; 'close' waits until the gateway,
    // which shares npm's output pipes, has exited too. It must have stopped cleanly.
    const closed = once(child.process, 'close');
    child.process.kill('SIGTERM');
    await closed;
    expect(child.output()).toMatch(/billwerk-graphql-gateway stopped/);
    expect(child.output()).not.toMatch(/shutdown (took too long|failed)/);
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  describe('killed right after acknowledging webhooks', () => {
    let emulator: Emulator;
    let dataDir: string;
    beforeAll(async () => {
      emulator = await createEmulator({
        clock: createClock({ mode: 'manual', start: new Date('2026-01-15T10:00:00Z') }),
      });
      dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-restart-'));
    });
    afterAll(async () => {
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const gateway = () => gatewayProcess(emulator, dataDir);

    it('stops at once with exit code 0 on SIGTERM and on SIGINT when idle', async () => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const idle = gateway();
        await idle.waitFor(/GraphQL\s+(http:\/\/\S+)\/graphql/);
        const exited = once(idle.process, 'exit');
        idle.process.kill(signal);
        const [code] = (await exited) as [number | null];
        // A shutdown that hangs ends only at SHUTDOWN_TIMEOUT_MS, with exit code 1.
        expect({ signal, code }).toEqual({ signal, code: 0 });
        expect(idle.output()).toMatch(/billwerk-graphql-gateway stopped/);
        expect(idle.output()).not.toMatch(/shutdown (took too long|failed)/);
      }
    }, 60_000);

    it('loses no acknowledged event, and a client resuming with its cursor gets each once', async () => {
      const first = gateway();
      const [, url] = await first.waitFor(/GraphQL\s+(http:\/\/\S+)\/graphql/);
      const client = wsClient(`${url!}/graphql`);
      // The first event proves the subscription is live; its cursor is where the client resumes.
      const cursor = await firstProbe(url!, [collect<Probe>(client, PROBE, FROM_START)]);
      await client.dispose();

      const acknowledged: number[] = [];
      for (let n = 1; n <= 20; n += 1) {
        const contract = `65f00000000000000000090${(n % 6) + 1}`;
        if ((await post(url!, { Event: 'RestartProbe', ContractId: contract, N: n })) === 202)
          acknowledged.push(n);
      }
      first.process.kill('SIGKILL');
      await once(first.process, 'exit');
      expect(acknowledged).toHaveLength(20);

      const second = gateway();
      const [, url2] = await second.waitFor(/GraphQL\s+(http:\/\/\S+)\/graphql/);
      const client2 = wsClient(`${url2!}/graphql`);
      const resumed = collect<Probe>(client2, PROBE, { after: cursor });
      const items = await resumed.waitUntil((all) => numbers(all).length >= acknowledged.length);
      // Each acknowledged event once (a duplicate would make the list longer than the acknowledged one).
      const received = numbers(items).sort((a, b) => a - b);
      expect(received).toEqual(acknowledged);
      await client2.dispose();
      second.process.kill('SIGTERM');
      await once(second.process, 'exit');
    }, 60_000);
  });

  describe('stopped with SIGTERM while webhooks are in flight', () => {
    const SHUTDOWN_TIMEOUT_MS = 8000;
    let emulator: Emulator;
    let dataDir: string;
    beforeAll(async () => {
      emulator = await createEmulator({
        clock: createClock({ mode: 'manual', start: new Date('2026-01-15T10:00:00Z') }),
      });
      dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-sigterm-'));
    });
    afterAll(async () => {
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const gateway = () =>
      gatewayProcess(emulator, dataDir, { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });

    it('answers 2xx only for stored events, tells subscribers to reconnect, and exits 0 in time', async () => {
      const first = gateway();
      const [, url] = await first.waitFor(/GraphQL\s+(http:\/\/\S+)\/graphql/);
      // Two subscribers hold open sockets through the shutdown; retries are off so the close ends them.
      const clients = [wsClient(`${url!}/graphql`), wsClient(`${url!}/graphql`)];
      const subs = clients.map((client) => collect<Probe>(client, PROBE, FROM_START));
      const cursor = await firstProbe(url!, subs);

      const posts = Array.from({ length: 40 }, (_, i) =>
        post(url!, {
          Event: 'RestartProbe',
          ContractId: `65f00000000000000000090${(i % 6) + 1}`,
          N: i + 1,
        }).catch(() => 0),
      );
      // SIGTERM once the first answer is back: the rest are still in flight.
      await Promise.race(posts);
      const exited = once(first.process, 'exit');
      const stopping = Date.now();
      first.process.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      expect(first.output()).not.toMatch(/shutdown (took too long|failed)/);

      // graphql-ws's dispose closes with 1001 (going away), which its clients treat as retryable.
      for (const sub of subs) expect(((await sub.failed) as { code?: number }).code).toBe(1001);

      const statuses = await Promise.all(posts);
      // Each post was stored and acknowledged, refused while closing (503), or never connected (0).
      for (const status of statuses) expect([202, 503, 0]).toContain(status);
      const acknowledged = statuses.flatMap((status, i) => (status === 202 ? [i + 1] : []));
      expect(acknowledged.length).toBeGreaterThan(0);

      const second = gateway();
      const [, url2] = await second.waitFor(/GraphQL\s+(http:\/\/\S+)\/graphql/);
      const client2 = wsClient(`${url2!}/graphql`);
      const resumed = collect<Probe>(client2, PROBE, { after: cursor });
      const items = await resumed.waitUntil((all) => {
        const seen = new Set(numbers(all));
        return acknowledged.every((n) => seen.has(n));
      });
      const received = numbers(items);
      expect(new Set(received).size).toBe(received.length);
      await client2.dispose();
      second.process.kill('SIGTERM');
      await once(second.process, 'exit');
    }, 60_000);
  });
});
