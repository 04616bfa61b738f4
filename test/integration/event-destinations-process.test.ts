// Event destinations across process failures, as deployments run the gateway (`node dist/main.js`): a
// gateway killed with SIGKILL while deliveries are failing and in flight delivers every stored event after
// its restart; two instances on one redis-server attempt each delivery from one instance at a time.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { createGatewayClient, CreateEventDestinationDocument } from '../../sdk/client.js';
import { bearer, TEST_ADMIN_KEY } from '../helpers/auth.js';
import { gatewayProcess, gatewayUrl, killAll, postNotice } from '../helpers/process.js';
import { startReceiver, type Received, type Receiver } from '../helpers/receiver.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

const CONTRACTS = [
  SEED_IDS.contracts.adaBasicMonthly,
  SEED_IDS.contracts.graceProYearly,
  SEED_IDS.contracts.alanProTrial,
];
const QUERY = /* GraphQL */ `
  subscription Probes {
    billwerkEvents(types: ["DestinationProbe"]) {
      contractId
      payload
    }
  }
`;
const ENV = {
  EVENT_DESTINATIONS_ALLOW_PRIVATE: 'true',
  EVENT_DESTINATION_RETRY_BASE_MS: '50',
  RECONCILE_INTERVAL_MS: '0',
};

interface Probe {
  data: { billwerkEvents: { contractId: string; payload: { N: number } } };
}
const probeOf = (r: Received) => (r.payload as Probe).data.billwerkEvents;
const probe = (n: number) => ({ Event: 'DestinationProbe', ContractId: CONTRACTS[n % 3], N: n });

async function createDestination(url: string, receiver: Receiver): Promise<void> {
  const sdk = createGatewayClient({
    url: `${url}/graphql`,
    headers: { authorization: bearer(TEST_ADMIN_KEY) },
  });
  const { createEventDestination } = await sdk.request(CreateEventDestinationDocument, {
    input: { url: receiver.url, query: QUERY },
  });
  receiver.secrets = [createEventDestination.signingSecret];
}

/** Each N in 1..count delivered (2xx) at least once, and each contract's first deliveries in the order posted. */
function expectAllInContractOrder(received: Received[], count: number): void {
  const delivered = received.filter((r) => r.status < 300 && r.verified);
  const firsts: Received[] = [];
  const seen = new Set<string>();
  for (const r of delivered) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    firsts.push(r);
  }
  expect(firsts.map((r) => probeOf(r).payload.N).sort((a, b) => a - b)).toEqual(
    Array.from({ length: count }, (_, i) => i + 1),
  );
  for (const contract of CONTRACTS) {
    const ns = firsts.filter((r) => probeOf(r).contractId === contract).map((r) => probeOf(r).payload.N);
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
  }
}

const allDelivered = (count: number) => (all: Received[]) =>
  new Set(all.filter((r) => r.status < 300).map((r) => r.id)).size >= count;

let emulator: Emulator;
let dataDir: string;
const receivers: Receiver[] = [];
beforeAll(async () => {
  emulator = await createEmulator({
    clock: createClock({ mode: 'manual', start: new Date('2026-01-15T10:00:00Z') }),
  });
  dataDir = mkdtempSync(path.join(tmpdir(), 'destinations-process-'));
});
afterAll(async () => {
  killAll();
  for (const receiver of receivers) await receiver.close();
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a gateway killed with SIGKILL during deliveries', () => {
  it('delivers every stored event after its restart, in order per contract', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    // One contract's endpoint fails: its events are held and retried when the gateway dies.
    receiver.respond = ({ payload }) =>
      (payload as Probe | undefined)?.data.billwerkEvents.contractId === CONTRACTS[0] ? 503 : 200;
    const dir = path.join(dataDir, 'sqlite');
    const first = gatewayProcess(emulator, dir, ENV);
    const url = await gatewayUrl(first);
    await createDestination(url, receiver);
    for (let n = 1; n <= 30; n += 1) expect(await postNotice(url, probe(n))).toBe(202);
    await receiver.waitUntil((all) => all.some((r) => r.status === 503) && all.some((r) => r.status === 200));
    first.process.kill('SIGKILL');
    await once(first.process, 'exit');

    receiver.respond = () => 200;
    const second = gatewayProcess(emulator, dir, ENV);
    await gatewayUrl(second);
    const received = await receiver.waitUntil(allDelivered(30));
    expectAllInContractOrder(received, 30);
    second.process.kill('SIGTERM');
    await once(second.process, 'exit');
  }, 60_000);
});

describe('two instances on one redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.close());

  it('attempt each delivery from one instance at a time, and deliver each event once', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    // A slow endpoint: a second sender of one delivery would overlap with the first.
    receiver.answerAfterMs = 30;
    const env = { ...ENV, REDIS_URL: redis.url };
    const children = ['a', 'b'].map((name) =>
      gatewayProcess(emulator, path.join(dataDir, `redis-${name}`), env),
    );
    const [a, b] = await Promise.all(children.map(gatewayUrl));
    await createDestination(a!, receiver);
    for (let n = 1; n <= 30; n += 1) expect(await postNotice(n % 2 === 0 ? a! : b!, probe(n))).toBe(202);
    const received = await receiver.waitUntil(allDelivered(30));
    expectAllInContractOrder(received, 30);
    // Answered 2xx every time, so one attempt each: a second instance sending too would show as a repeat.
    expect(received).toHaveLength(30);
    expect(receiver.maxInFlightPerId).toBe(1);
    for (const child of children) child.process.kill('SIGTERM');
    await Promise.all(children.map((child) => once(child.process, 'exit')));
  }, 60_000);
});
