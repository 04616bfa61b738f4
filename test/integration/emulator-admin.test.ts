// The emulator's test controls: the request log, fault injection, latency and the HTTP admin surface.
// Real sockets throughout: the emulator on a free port, undici as the client.
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { RestClient, START, raw } from './emulator-harness.js';

let emulator: Emulator;
let rest: RestClient;
const clock = createClock({ mode: 'manual', start: START });

beforeAll(async () => {
  emulator = await createEmulator({ clock, tokenTtlSeconds: 600 });
  rest = new RestClient(emulator);
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  emulator.faults.clear();
  emulator.requests.reset();
});

const http = (method: string, path: string, options?: { headers?: Record<string, string>; body?: string }) =>
  raw(emulator.url, method, path, options);

describe('request log and faults', () => {
  it('records every /api/v1 and /oauth call with method, path, query and status', async () => {
    const client = new RestClient(emulator);
    await client.ok('GET', '/customers?take=2');
    await client.call('GET', '/customers/0123456789abcdef01234567');
    expect(emulator.requests.count({ path: '/oauth/token' })).toBe(1);
    expect(emulator.requests.count({ method: 'get', path: /^\/api\/v1\/customers/ })).toBe(2);
    const [, list, missing] = emulator.requests.list();
    expect(list).toMatchObject({ method: 'GET', path: '/api/v1/customers', query: 'take=2', status: 200 });
    expect(missing?.status).toBe(404);
    emulator.requests.reset();
    expect(emulator.requests.count()).toBe(0);
  });

  it('answers an injected status a given number of times, then serves normally', async () => {
    emulator.faults.inject({ method: 'GET', path: '/API/v1/customers', status: 503, times: 2 });
    expect(await rest.call('GET', '/customers')).toMatchObject({
      status: 503,
      body: { Message: 'Injected fault' },
    });
    expect((await rest.call('POST', '/customers', { FirstName: 'x' })).status).toBe(200);
    expect((await rest.call('GET', '/customers')).status).toBe(503);
    expect((await rest.call('GET', '/customers')).status).toBe(200);
    emulator.faults.inject({
      path: /\/contracts\/[0-9a-f]{24}$/,
      status: 429,
      body: { Message: 'slow down' },
      headers: { 'Retry-After': '7' },
    });
    const limited = await rest.call('GET', `/contracts/${SEED_IDS.contracts.graceProYearly}`);
    expect(limited).toMatchObject({
      status: 429,
      body: { Message: 'slow down' },
      headers: { 'retry-after': '7' },
    });
  });

  it('delays a matching request without changing its answer, and adds latencyMs to every call', async () => {
    emulator.faults.inject({ path: '/api/v1/planGroups', delayMs: 120, times: 1 });
    const started = Date.now();
    expect((await rest.call('GET', '/planGroups')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    const slow = await createEmulator({
      clock: createClock({ mode: 'manual', start: START }),
      seed: false,
      latencyMs: 80,
    });
    try {
      const client = new RestClient(slow);
      await client.fetchToken();
      const begin = Date.now();
      await client.ok('GET', '/customers');
      expect(Date.now() - begin).toBeGreaterThanOrEqual(80);
    } finally {
      await slow.close();
    }
  });

  it('holds an answer computed on arrival until the test releases it', async () => {
    const customer = SEED_IDS.customers.ada;
    let release!: () => void;
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    emulator.faults.inject({
      method: 'GET',
      path: `/api/v1/customers/${customer}`,
      times: 1,
      onArrival: arrived,
      holdAnswer: new Promise<void>((resolve) => (release = resolve)),
    });
    const before = rest.call<{ LastName: string }>('GET', `/customers/${customer}`);
    await reached;
    const original = (await rest.ok<{ LastName: string }>('GET', `/customers/${customer}`)).LastName;
    await rest.ok('PATCH', `/customers/${customer}`, { LastName: 'Renamed' });
    release();
    // The held answer is the state when the request arrived, not when it was released.
    expect((await before).body.LastName).toBe(original);
    expect((await rest.ok<{ LastName: string }>('GET', `/customers/${customer}`)).LastName).toBe('Renamed');
    await rest.ok('PATCH', `/customers/${customer}`, { LastName: original });
  });
});

describe('request log bound', () => {
  it('keeps the newest requestLogSize calls, oldest first, and counts over those', async () => {
    const small = await createEmulator({
      clock: createClock({ mode: 'manual', start: START }),
      requestLogSize: 3,
    });
    try {
      const client = new RestClient(small);
      for (const take of [1, 2, 3, 4]) await client.ok('GET', `/customers?take=${take}`);
      expect(small.requests.list().map((r) => r.query)).toEqual(['take=2', 'take=3', 'take=4']);
      expect(small.requests.count({ path: '/oauth/token' })).toBe(0);
      expect(small.requests.count({ method: 'GET', path: /customers/ })).toBe(3);
      small.requests.reset();
      await client.ok('GET', '/customers?take=5');
      expect(small.requests.list().map((r) => r.query)).toEqual(['take=5']);
    } finally {
      await small.close();
    }
  });
});

describe('admin surface', () => {
  it('moves the clock, injects faults, lists requests and revokes tokens over HTTP', async () => {
    const before = (await http('GET', '/emulator/clock')).body as { now: string };
    expect(Date.parse(before.now)).toBe(clock.now().getTime());
    const advanced = await http('POST', '/emulator/clock/advance', {
      headers: { 'content-type': 'application/json' },
      body: '{"ms":60000}',
    });
    expect(Date.parse((advanced.body as { now: string }).now)).toBe(Date.parse(before.now) + 60_000);
    const target = new Date(clock.now().getTime() + 3_600_000).toISOString();
    await http('POST', '/emulator/clock/advance', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: target }),
    });
    expect(clock.now().toISOString()).toBe(target);
    const back = await http('POST', '/emulator/clock/advance', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: START.toISOString() }),
    });
    expect(back.status).toBe(422);

    const fault = JSON.stringify({ path: '/api/v1/plans', status: 500, times: 1 });
    expect(
      (
        await http('POST', '/emulator/faults', {
          headers: { 'content-type': 'application/json' },
          body: fault,
        })
      ).status,
    ).toBe(204);
    expect((await rest.call('GET', '/plans')).status).toBe(500);
    await http('POST', '/emulator/faults', { headers: { 'content-type': 'application/json' }, body: fault });
    expect((await http('DELETE', '/emulator/faults')).status).toBe(204);
    expect((await rest.call('GET', '/plans')).status).toBe(200);

    const logged = (await http('GET', '/emulator/requests')).body as { path: string }[];
    expect(logged.map((entry) => entry.path)).toContain('/api/v1/plans');
    expect((await http('POST', '/emulator/tokens/revoke')).status).toBe(204);
    expect(emulator.requests.count({ path: '/emulator/requests' })).toBe(0);
  });
});
