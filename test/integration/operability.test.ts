// /metrics and /readyz over real HTTP: metrics follow what the gateway did (operations, webhooks, billwerk
// calls by endpoint template) and hold no secret; readiness names billwerk when its credentials are wrong.
import { SEED_IDS } from '../../src/emulator/seed.js';
import { type StoredEvent } from '../../src/events/event-log.js';
import { bearer, TEST_ADMIN_KEY } from '../helpers/auth.js';
import { startStack, TEST_WEBHOOK_AUTH, type Stack } from '../helpers/stack.js';

const scrape = async (stack: Stack): Promise<string> => {
  const response = await fetch(`${stack.gateway.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
};

/** The value of one series, 0 when absent; `series` is the name and `{…}` labels as prom-client prints them. */
const sample = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
};

const query = (stack: Stack, document: string) =>
  fetch(stack.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: bearer(stack.adminKey) },
    body: JSON.stringify({ query: document }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { errors?: unknown[] } }));

const readyz = async (stack: Stack) => {
  const response = await fetch(`${stack.gateway.url}/readyz`);
  return { status: response.status, body: await response.json() };
};

describe('a healthy gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ registerWebhook: false });
  });
  afterAll(() => stack.close());

  it('counts an operation by name and outcome', async () => {
    const series = 'gateway_graphql_request_duration_seconds_count{operation="MetricsProbe",outcome="ok"}';
    const before = sample(await scrape(stack), series);
    const { status, body } = await query(stack, 'query MetricsProbe { planGroups { name } }');
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(sample(await scrape(stack), series)).toBe(before + 1);
  });

  it('counts billwerk calls by endpoint template, never by id', async () => {
    const { body } = await query(stack, `query One { customer(id: "${SEED_IDS.customers.ada}") { id } }`);
    expect(body.errors).toBeUndefined();
    const text = await scrape(stack);
    expect(
      sample(
        text,
        'gateway_billwerk_request_duration_seconds_count{method="GET",endpoint="/customers/{id}",status="200"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(SEED_IDS.customers.ada);
  });

  it('counts webhooks by outcome', async () => {
    const stored = 'gateway_webhooks_received_total{outcome="stored"}';
    const rejected = 'gateway_webhooks_received_total{outcome="rejected"}';
    const before = await scrape(stack);
    expect(
      await stack.postWebhook({ Event: 'MetricsProbe', ContractId: SEED_IDS.contracts.adaBasicMonthly }),
    ).toBe(202);
    expect(await stack.postWebhook({ Event: 'MetricsProbe' }, { authorization: 'Basic bm86bm8=' })).toBe(401);
    const after = await scrape(stack);
    expect(sample(after, stored)).toBe(sample(before, stored) + 1);
    expect(sample(after, rejected)).toBe(sample(before, rejected) + 1);
  });

  it('reports the state of caches, the event log and sockets', async () => {
    const text = await scrape(stack);
    for (const name of [
      'gateway_shared_cache_lookups_total{result="miss"}',
      'gateway_event_log_pending',
      'gateway_event_log_last_published_seq',
      'gateway_websocket_connections',
      'gateway_event_streams',
      'gateway_subscription_executions_total{kind="executed"}',
    ]) {
      expect(text).toContain(`${name} `);
    }
    expect(sample(text, 'gateway_shared_cache_lookups_total{result="miss"}')).toBeGreaterThan(0);
  });

  it('reports the oldest event kept, as a cursor and an age', async () => {
    const stream = await stack.gateway.events.hub.stream(() => true);
    expect(await stack.postWebhook({ Event: 'RetentionProbe' })).toBe(202);
    const next: IteratorResult<StoredEvent> = await stream.next();
    await stream.return!(undefined);
    const text = await scrape(stack);
    const oldest = sample(text, 'gateway_event_log_oldest_retained_seq');
    expect(oldest).toBeGreaterThanOrEqual(1);
    expect(oldest).toBeLessThanOrEqual((next.value as StoredEvent).publishedSeq!);
    expect(sample(text, 'gateway_event_log_oldest_retained_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'gateway_event_log_retained')).toBeGreaterThanOrEqual(1);
  });

  it('holds no secret', async () => {
    const text = await scrape(stack);
    for (const secret of [
      TEST_ADMIN_KEY,
      TEST_WEBHOOK_AUTH.password,
      stack.emulator.credentials.clientSecret,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('is ready when billwerk answers and the store takes a write', async () => {
    expect(await readyz(stack)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { billwerk: 'ok', store: 'ok' } },
    });
    expect((await fetch(`${stack.gateway.url}/healthz`)).status).toBe(200);
  });
});

describe('a gateway with wrong billwerk credentials', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ registerWebhook: false, client: { clientSecret: 'not-the-secret' } });
  });
  afterAll(() => stack.close());

  it('is live but not ready, and names billwerk without saying why', async () => {
    const { status, body } = await readyz(stack);
    expect(status).toBe(503);
    expect(body).toEqual({ status: 'unready', checks: { billwerk: 'failing', store: 'ok' } });
    expect(JSON.stringify(body)).not.toContain('not-the-secret');
    expect((await fetch(`${stack.gateway.url}/healthz`)).status).toBe(200);
  });
});

describe('METRICS_ENABLED=false', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ registerWebhook: false, env: { METRICS_ENABLED: 'false' } });
  });
  afterAll(() => stack.close());

  it('serves no /metrics', async () => {
    expect((await fetch(`${stack.gateway.url}/metrics`)).status).toBe(404);
  });
});
