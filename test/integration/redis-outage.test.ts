// A gateway process whose Redis is gone: each webhook is answered 503 but the outage is one line in the
// log, and SIGTERM stops it at once with exit code 0, whatever state its Redis connections are in (Redis
// stopped while it ran, never reachable, a Sentinel deployment with every server and Sentinel gone).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { post, probe } from '../helpers/probes.js';
import { freePort, gatewayProcess, gatewayUrl, killAll, type Child } from '../helpers/process.js';
import { startRedis } from '../helpers/redis-server.js';
import { startSentinels } from '../helpers/redis-topologies.js';

let emulator: Emulator;
let dataDir: string;
beforeAll(async () => {
  emulator = await createEmulator({
    clock: createClock({ mode: 'manual', start: new Date('2026-01-15T10:00:00Z') }),
  });
  dataDir = mkdtempSync(path.join(tmpdir(), 'redis-outage-'));
});
afterAll(async () => {
  killAll();
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

let instances = 0;
async function gateway(env: Record<string, string>): Promise<{ child: Child; url: string }> {
  const child = gatewayProcess(emulator, path.join(dataDir, String((instances += 1))), env);
  return { child, url: await gatewayUrl(child) };
}

/** Sends SIGTERM and resolves with the exit code and how long the process took to exit. */
async function terminate(child: Child): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const exited = once(child.process, 'exit') as Promise<[number | null]>;
  child.process.kill('SIGTERM');
  const [code] = await exited;
  return { code, ms: Date.now() - started };
}

/** Exit code 0 well inside the 10 s SHUTDOWN_TIMEOUT_MS, after the gateway's own last line. */
async function expectPromptStop(child: Child): Promise<void> {
  const { code, ms } = await terminate(child);
  expect(child.output()).not.toMatch(/shutdown (took too long|failed)/);
  expect(child.output()).toMatch(/billwerk-graphql-gateway stopped/);
  expect(code).toBe(0);
  expect(ms).toBeLessThan(3000);
}

/** The log lines at error level of one component. */
const errors = (child: Child, component: string) =>
  child
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; component?: string; msg: string })
    .filter((line) => line.level >= 50 && line.component === component);

describe('a gateway whose Redis is gone', () => {
  it('answers each webhook 503, logs the outage once, and stops at once on SIGTERM', async () => {
    const redis = await startRedis();
    try {
      const { child, url } = await gateway({ REDIS_URL: redis.url });
      expect((await post(url, probe(1))).status).toBe(202);
      await redis.stop();
      for (let n = 2; n <= 21; n += 1) expect((await post(url, probe(n))).status).toBe(503);
      expect(errors(child, 'webhooks').map((line) => line.msg)).toEqual([
        expect.stringMatching(/^could not store a webhook; billwerk will retry/),
      ]);
      await expectPromptStop(child);
    } finally {
      await redis.close();
    }
  }, 30_000);

  it('stops at once on SIGTERM when Redis was never reachable', async () => {
    const { child, url } = await gateway({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect((await post(url, probe(1))).status).toBe(503);
    await expectPromptStop(child);
  }, 30_000);

  it('stops at once on SIGTERM when the primary and every Sentinel are gone', async () => {
    const primary = await startRedis();
    const sentinels = await startSentinels(primary, { replicas: 0 });
    try {
      const { child, url } = await gateway({
        REDIS_SENTINELS: sentinels.setting,
        REDIS_SENTINEL_NAME: sentinels.name,
      });
      expect((await post(url, probe(1))).status).toBe(202);
      await primary.stop();
      await sentinels.close();
      expect((await post(url, probe(2))).status).toBe(503);
      // Long enough for every connection to be between two attempts to find a Sentinel.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await expectPromptStop(child);
    } finally {
      await sentinels.close();
      await primary.close();
    }
  }, 30_000);
});
