// The hardened endpoint over real HTTP and real WebSockets: CSRF-style simple requests, suggestions and
// introspection by mode, the list-aware cost budget, graphql-ws timeouts and limits, the per-caller rate
// limit, security headers and masked internal errors. Refusals are checked at the emulator too: no REST call.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import WebSocket from 'ws';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { createLogger } from '../../src/logger.js';
import { MAX_PAYLOAD_BYTES } from '../../src/server/subscriptions.js';
import { ContractsDocument, CustomerDocument } from '../../sdk/client.js';
import { apiKey, bearer } from '../helpers/auth.js';
import { apiCalls, postQuery, type GraphQLAnswer } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { subscribeLive } from '../helpers/ws.js';

const READONLY_HTTP = 'readonly-http-key-0123456789abcdef';
const READONLY_WS = 'readonly-ws-key-0123456789abcdef';

let dev: Stack;
let prod: Stack;
/** The development stack's log lines at warn and above. */
const devLog: string[] = [];
beforeAll(async () => {
  [dev, prod] = await Promise.all([
    startStack({
      registerWebhook: false,
      logger: createLogger({ level: 'warn', destination: { write: (line: string) => devLog.push(line) } }),
      env: {
        WS_CONNECTION_INIT_TIMEOUT_MS: '150',
        RATE_LIMIT_PER_MINUTE: '60',
        RATE_LIMIT_BURST: '2',
        API_KEYS: JSON.stringify([
          apiKey(READONLY_HTTP, { id: 'ro-http', role: 'readonly' }),
          apiKey(READONLY_WS, { id: 'ro-ws', role: 'readonly' }),
        ]),
      },
    }),
    startStack({ registerWebhook: false, env: { GATEWAY_MODE: 'production' } }),
  ]);
  // The readiness probe's first billwerk call is done before upstream calls are counted.
  await Promise.all([dev, prod].map((stack) => fetch(`${stack.gateway.url}/readyz`).then((r) => r.text())));
});
afterAll(() => Promise.all([dev?.close(), prod?.close()]));

const post = (stack: Stack, query: string, credential = stack.adminKey) =>
  postQuery(stack.graphqlUrl, query, {}, { credential });

/** A query that always reaches billwerk: a customer search is never served from the cache. */
let searches = 0;
const uncached = () => `{ customers(search: "csrf-${(searches += 1)}") { edges { cursor } } }`;

describe('CSRF prevention', () => {
  it('a GET without a preflight header is refused with no upstream call; with one it is served', async () => {
    dev.emulator.requests.reset();
    const url = `${dev.graphqlUrl}?query=${encodeURIComponent(uncached())}`;
    const simple = await fetch(url, { headers: { authorization: bearer(dev.adminKey) } });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF/i);
    expect(apiCalls(dev)).toBe(0);

    const preflighted = await fetch(url, {
      headers: { authorization: bearer(dev.adminKey), 'apollo-require-preflight': 'true' },
    });
    expect(preflighted.status).toBe(200);
    expect(apiCalls(dev)).toBeGreaterThan(0);
  });

  it.each([
    ['text/plain', (q: string) => JSON.stringify({ query: q })],
    ['application/x-www-form-urlencoded', (q: string) => `query=${encodeURIComponent(q)}`],
    [
      'multipart/form-data; boundary=x',
      (q: string) => `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${q}\r\n--x--\r\n`,
    ],
  ])('a POST as %s is refused with no upstream call', async (type, body) => {
    dev.emulator.requests.reset();
    const response = await fetch(dev.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': type, authorization: bearer(dev.adminKey) },
      body: body(uncached()),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(apiCalls(dev)).toBe(0);
  });
});

describe('suggestions and introspection by mode', () => {
  const MISSPELLED = '{ planGroup { name } }';

  it('development hints at the right field and serves introspection', async () => {
    const misspelled = await post(dev, MISSPELLED);
    expect(misspelled.errors[0]!.message).toContain('Did you mean "planGroups"?');
    const introspection = await post(dev, '{ __schema { queryType { name } } }');
    expect(introspection.errors).toEqual([]);
  });

  it('production gives no hint and refuses introspection', async () => {
    const misspelled = await post(prod, MISSPELLED);
    expect(misspelled.errors).toHaveLength(1);
    expect(misspelled.errors[0]!.message).toBe('Cannot query field "planGroup" on type "Query".');
    const argument = await post(prod, '{ customers(frist: 2) { edges { cursor } } }');
    expect(argument.errors[0]!.message).not.toMatch(/Did you mean/);
    const introspection = await post(prod, '{ __schema { queryType { name } } }');
    expect(introspection.errors[0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspection.data).toBeUndefined();
  });
});

describe('the cost budget counts page sizes', () => {
  it('refuses 100 contracts with 100 invoices each before any REST call', async () => {
    dev.emulator.requests.reset();
    const nested = await post(
      dev,
      '{ contracts(first: 100) { edges { node { billwerkId invoices(first: 100) { edges { cursor } } } } } }',
    );
    expect(nested.status).toBe(400);
    expect(nested.errors.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(apiCalls(dev)).toBe(0);
  });

  it('serves the same shape with small pages, and the SDK operations', async () => {
    const small = await post(
      dev,
      '{ contracts(first: 5) { edges { node { billwerkId invoices(first: 5) { edges { cursor } } } } } }',
    );
    expect(small.errors).toEqual([]);
    const contracts = await dev.sdk.request(ContractsDocument, { first: 100 });
    expect(contracts.contracts.edges.length).toBeGreaterThan(0);
    const customer = await dev.sdk.request(CustomerDocument, { id: SEED_IDS.customers.ada });
    expect(customer.customer?.billwerkId).toBe(SEED_IDS.customers.ada);
  });
});

/** A raw graphql-transport-ws socket: resolves with the close code. */
function rawSocket(stack: Stack): { socket: WebSocket; closed: Promise<number>; opened: Promise<void> } {
  const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  const opened = new Promise<void>((resolve) => socket.on('open', () => resolve()));
  return { socket, closed, opened };
}

async function acknowledged(stack: Stack) {
  const raw = rawSocket(stack);
  await raw.opened;
  const ack = new Promise<void>((resolve) =>
    raw.socket.on('message', (data) => {
      if ((JSON.parse((data as Buffer).toString('utf8')) as { type: string }).type === 'connection_ack')
        resolve();
    }),
  );
  raw.socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: bearer(stack.adminKey) } }),
  );
  await ack;
  return raw;
}

describe('graphql-ws limits', () => {
  it('closes a socket that sends no connection_init in time with 4408', async () => {
    const raw = rawSocket(dev);
    expect(await raw.closed).toBe(4408);
  });

  it(`closes a socket that sends a message over ${MAX_PAYLOAD_BYTES} bytes with 1009`, async () => {
    const raw = await acknowledged(dev);
    const query = `subscription { billwerkEvents { cursor } }${' '.repeat(MAX_PAYLOAD_BYTES)}`;
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      raw.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      expect(await raw.closed).toBe(1009);
      // Reported in the JSON logs, not by graphql-ws on the console.
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
    }
    const logged = devLog.map((line) => JSON.parse(line) as { msg: string; err?: { code?: string } });
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: 'WebSocket error; closing the socket',
        err: expect.objectContaining({ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' }),
      }),
    );
  });

  it('refuses a second subscription with an id in use by closing with 4409', async () => {
    const raw = await acknowledged(dev);
    const subscribe = JSON.stringify({
      id: 'same',
      type: 'subscribe',
      payload: { query: 'subscription { billwerkEvents { cursor } }' },
    });
    raw.socket.send(subscribe);
    raw.socket.send(subscribe);
    expect(await raw.closed).toBe(4409);
  });
});

describe('rate limit per caller', () => {
  it('trips with RATE_LIMITED, 429 and Retry-After, and recovers after the hinted wait', async () => {
    let served = 0;
    let refused: GraphQLAnswer | undefined;
    while (!refused && served < 10) {
      const answer = await post(dev, '{ planGroups { name } }', READONLY_HTTP);
      if (answer.status === 429) refused = answer;
      else served += 1;
    }
    // One steady token and a burst of 2; a second boundary crossed meanwhile may add one more.
    expect(served).toBeGreaterThanOrEqual(3);
    expect(served).toBeLessThanOrEqual(5);
    expect(refused!.errors).toHaveLength(1);
    const { extensions } = refused!.errors[0]!;
    expect(extensions?.code).toBe('RATE_LIMITED');
    const seconds = extensions?.retryAfterSeconds as number;
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(refused!.headers.get('retry-after')).toBe(String(seconds));

    // Other callers have buckets of their own; admin keys are not limited.
    for (let i = 0; i < 5; i += 1) expect((await post(dev, '{ planGroups { name } }')).status).toBe(200);

    // The buckets expire by the wall clock (Date.now): move it past the hinted wait instead of sleeping.
    // Every timer but Date stays real: the sockets and servers keep theirs.
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      jest.setSystemTime(Date.now() + seconds * 1000);
      expect((await post(dev, '{ planGroups { name } }', READONLY_HTTP)).status).toBe(200);
    } finally {
      jest.useRealTimers();
    }
  });

  it('applies to graphql-ws subscribe messages', async () => {
    const opened: { close(): Promise<void> }[] = [];
    let failure: unknown;
    while (failure === undefined && opened.length < 10) {
      try {
        opened.push(
          await subscribeLive(
            dev.graphqlUrl,
            dev.gateway.events.hub,
            'subscription { billwerkEvents { cursor } }',
            {},
            { credential: READONLY_WS },
          ),
        );
      } catch (error) {
        failure = error;
      }
    }
    await Promise.all(opened.map((sub) => sub.close()));
    expect(opened.length).toBeGreaterThanOrEqual(3);
    expect(String(failure)).toContain('RATE_LIMITED');
    expect(String(failure)).toContain('retryAfterSeconds');
  });
});

describe('security headers', () => {
  it('every response carries helmet headers and a same-origin CSP', async () => {
    for (const response of [
      await fetch(`${dev.gateway.url}/healthz`),
      await fetch(`${dev.gateway.url}/`),
      await fetch(dev.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: bearer(dev.adminKey) },
        body: JSON.stringify({ query: '{ planGroups { name } }' }),
      }),
    ]) {
      await response.arrayBuffer();
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('GraphiQL at /graphql loads same-origin scripts only, in both modes', async () => {
    for (const stack of [dev, prod]) {
      const response = await fetch(stack.graphqlUrl, { headers: { accept: 'text/html' } });
      const html = await response.text();
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      // Every script the page names is a file of the gateway's own.
      const scripts = [...html.matchAll(/<script[^>]* src="([^"]+)"/g)].map((m) => m[1]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const src of scripts) expect(src).toMatch(/^\/assets\//);
      expect(html).not.toMatch(/apollographql|https?:\/\//);
    }
  });
});

describe('error masking in production', () => {
  it('an unexpected internal error reaches the client as INTERNAL_SERVER_ERROR with nothing inside', async () => {
    const id = SEED_IDS.contracts.adaBasicMonthly;
    // billwerk answering 200 with a body of the wrong shape makes the resolver itself throw a TypeError.
    prod.emulator.faults.inject({
      method: 'GET',
      path: `/api/v1/contracts/${id}`,
      status: 200,
      body: { Id: id, CustomerId: SEED_IDS.customers.ada, Phases: 'not a list' },
    });
    try {
      const answer = await post(prod, `{ contract(id: "${id}") { billwerkId phases { type } } }`);
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors[0]).toEqual({
        message: 'Internal server error.',
        locations: expect.any(Array) as unknown,
        path: expect.any(Array) as unknown,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(answer.errors)).not.toMatch(/stack|TypeError|\.ts|\.js|not a function/i);
    } finally {
      prod.emulator.faults.clear();
    }
  });
});
