// The SDK's self-resuming subscriptions against a gateway process that is killed and restarted between
// events: the handler sees every event exactly once, in order, with no code of its own for reconnects,
// over graphql-ws and over Server-Sent Events alike.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { createResumableSubscriber, memoryCursorStore } from '../../sdk/client.js';
import { BillwerkEventsDocument } from '../../sdk/generated/graphql.js';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { encodeEventCursor } from '../../src/events/cursor.js';
import { bearer, TEST_ADMIN_KEY } from '../helpers/auth.js';
import { freePort, gatewayProcess, gatewayUrl, killAll, postNotice } from '../helpers/process.js';

const CONTRACT = '65f000000000000000000911';

let emulator: Emulator;
let dataDir: string;
beforeAll(async () => {
  emulator = await createEmulator({
    clock: createClock({ mode: 'manual', start: new Date('2026-01-15T10:00:00Z') }),
  });
  dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-sdk-resume-'));
});
afterAll(async () => {
  killAll();
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Resolves once `values` satisfies `done`, checked after every push. */
function watch<T>(values: T[]) {
  const waiters: { done: () => boolean; resolve: () => void }[] = [];
  return {
    push(value: T) {
      values.push(value);
      for (const waiter of [...waiters]) {
        if (waiter.done()) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    until: (done: () => boolean) =>
      done() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ done, resolve })),
  };
}

describe('the SDK resumable subscriber', () => {
  it.each(['ws', 'sse'] as const)(
    'delivers every event once and in order across a gateway killed and restarted between events (%s)',
    async (transport) => {
      const port = await freePort();
      const env = { PORT: String(port), HOST: '127.0.0.1' };
      // A log of this run's own, so the subscriber can start from its beginning.
      const runDir = mkdtempSync(path.join(dataDir, `${transport}-`));
      const first = gatewayProcess(emulator, runDir, env);
      const url = await gatewayUrl(first);

      const received: number[] = [];
      const feed = watch(received);
      const statuses: string[] = [];
      const errors: unknown[] = [];
      const cursors = memoryCursorStore();
      await cursors.set('probe', encodeEventCursor(0));
      const subscriber = createResumableSubscriber({
        url: `${url}/graphql`,
        transport,
        authorization: bearer(TEST_ADMIN_KEY),
        webSocketImpl: WebSocket,
        cursors,
        retryDelayMs: 50,
        maxRetryDelayMs: 400,
        onStatus: (status) => statuses.push(status),
      });
      subscriber.subscribe(
        BillwerkEventsDocument,
        { types: ['ResumeProbe'] },
        {
          next: (data) => feed.push((data.billwerkEvents.payload as { N: number }).N),
          error: (error) => errors.push(error),
        },
        { key: 'probe' },
      );
      // The subscription starts at the log's beginning, so a probe (N = 0) reaches it whether or not it
      // was live yet when the probe was stored.
      expect(await postNotice(url, { Event: 'ResumeProbe', ContractId: CONTRACT, N: 0 })).toBe(202);
      await feed.until(() => received.includes(0));
      const probes = received.length;

      for (let n = 1; n <= 4; n += 1)
        expect(await postNotice(url, { Event: 'ResumeProbe', ContractId: CONTRACT, N: n })).toBe(202);
      await feed.until(() => received.includes(4));
      // Acknowledged, then the process dies before (or while) it publishes them.
      for (let n = 5; n <= 7; n += 1)
        expect(await postNotice(url, { Event: 'ResumeProbe', ContractId: CONTRACT, N: n })).toBe(202);
      first.process.kill('SIGKILL');
      await once(first.process, 'exit');

      const second = gatewayProcess(emulator, runDir, env);
      expect(await gatewayUrl(second)).toBe(url);
      for (let n = 8; n <= 10; n += 1)
        expect(await postNotice(url, { Event: 'ResumeProbe', ContractId: CONTRACT, N: n })).toBe(202);
      await feed.until(() => received.includes(10));

      expect(received.slice(probes)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(errors).toEqual([]);
      // It really lost its socket and came back on its own.
      expect(statuses.filter((s) => s === 'connected').length).toBeGreaterThanOrEqual(2);
      await subscriber.dispose();
      second.process.kill('SIGTERM');
      await once(second.process, 'exit');
    },
    60_000,
  );

  it('reports a cursor the gateway does not know as a final error instead of retrying', async () => {
    const child = gatewayProcess(emulator, dataDir);
    const url = await gatewayUrl(child);
    const cursors = memoryCursorStore();
    await cursors.set('probe', 'not-a-cursor');
    const subscriber = createResumableSubscriber({
      url: `${url}/graphql`,
      authorization: bearer(TEST_ADMIN_KEY),
      webSocketImpl: WebSocket,
      cursors,
    });
    const failed = new Promise<unknown>((resolve) =>
      subscriber.subscribe(
        BillwerkEventsDocument,
        { types: ['ResumeProbe'] },
        { next: () => undefined, error: resolve },
        { key: 'probe' },
      ),
    );
    const error = (await failed) as { extensions?: { code?: string } }[];
    expect(error[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await subscriber.dispose();
    child.process.kill('SIGTERM');
    await once(child.process, 'exit');
  }, 30_000);
});
