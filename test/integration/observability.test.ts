// The per-request log line and OpenTelemetry traces, observed from outside: the logger's output captured
// while real HTTP requests run, and a real HTTP server standing in for an OTLP collector.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { createTracing, type Tracing } from '../../src/telemetry.js';
import { bearer } from '../helpers/auth.js';
import { postQuery } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';

const CONTRACTS_PAGE = `query ContractsPage {
  contracts(first: 3) { edges { node { id customer { id displayName } planVariant { name } } } }
}`;

interface PageData {
  contracts: { edges: { node: { customer: { id: string } | null } }[] };
}

/** Log lines as parsed objects, with a way to wait for the one that matches. */
function captureLines() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const waiters: {
    match: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  return {
    lines,
    raw,
    stream: {
      write(chunk: string) {
        raw.push(chunk);
        const line = JSON.parse(chunk) as Record<string, unknown>;
        lines.push(line);
        for (const waiter of waiters.filter((w) => w.match(line))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      },
    },
    next(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

const post = (stack: Stack, query: string, headers: Record<string, string>) =>
  postQuery<PageData>(stack.graphqlUrl, query, {}, { headers });

describe('the request log', () => {
  const capture = captureLines();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      registerWebhook: false,
      logger: createLogger({ level: 'info', destination: capture.stream }),
    });
  });
  afterAll(() => stack.close());

  it('writes one JSON line per GraphQL request with caller, operation, duration and billwerk calls', async () => {
    // The token is taken first and the shared cache emptied, so the count below is the query's own cost.
    await stack.sdk.raw.request('{ planGroups { name } }');
    stack.gateway.cache.invalidateKind('Catalogue');
    stack.gateway.cache.invalidateKind('Customer');
    const requestId = 'req-log-test-1';
    const { status, data } = await post(stack, CONTRACTS_PAGE, {
      authorization: bearer(stack.adminKey),
      'x-request-id': requestId,
    });
    expect(status).toBe(200);
    const line = await capture.next((l) => l.reqId === requestId && l.msg === 'graphql request');
    expect(line).toMatchObject({
      level: 30,
      component: 'graphql',
      reqId: requestId,
      principal: 'admin-key',
      operation: 'ContractsPage',
      operationType: 'query',
      status: 200,
      outcome: 'ok',
    });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(line.durationMs as number).toBeGreaterThan(0);
    // One page of contracts, one GET per distinct customer, one GET /productInfo for the plan variants.
    const customers = new Set(data!.contracts.edges.map((e) => e.node.customer?.id)).size;
    expect(line.upstreamCalls).toBe(1 + customers + 1);
    expect(capture.lines.filter((l) => l.reqId === requestId)).toHaveLength(1);
  });

  it('counts only the calls of its own request: a warm repeat reads the page alone', async () => {
    const requestId = 'req-log-test-2';
    await post(stack, CONTRACTS_PAGE, {
      authorization: bearer(stack.adminKey),
      'x-request-id': requestId,
    });
    const line = await capture.next((l) => l.reqId === requestId);
    // Customers and the catalogue come from the shared cache now.
    expect(line.upstreamCalls).toBe(1);
  });

  it('logs a refused request as UNAUTHENTICATED and never the credentials presented', async () => {
    const requestId = 'req-log-test-3';
    const { status } = await post(stack, CONTRACTS_PAGE, {
      authorization: bearer('not-a-valid-key-at-all'),
      'x-request-id': requestId,
    });
    expect(status).toBe(401);
    const line = await capture.next((l) => l.reqId === requestId);
    expect(line).toMatchObject({ status: 401, outcome: 'UNAUTHENTICATED', upstreamCalls: 0 });
    expect(line.principal).toBeUndefined();
    const everything = capture.raw.join('');
    expect(everything).not.toContain('not-a-valid-key-at-all');
    expect(everything).not.toContain(stack.adminKey);
  });

  it('names the operation a client sent even when the document does not validate', async () => {
    const requestId = 'req-log-test-4';
    await post(stack, 'query Broken { noSuchField }', {
      authorization: bearer(stack.adminKey),
      'x-request-id': requestId,
    });
    const line = await capture.next((l) => l.reqId === requestId);
    expect(line).toMatchObject({
      operation: 'Broken',
      outcome: 'GRAPHQL_VALIDATION_FAILED',
      upstreamCalls: 0,
    });
  });
});

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: OtlpValue }[];
}
interface OtlpRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: OtlpValue }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

describe('traces over OTLP/HTTP', () => {
  const received: OtlpRequest[] = [];
  const paths: string[] = [];
  let collector: Server;
  let tracing: Tracing;
  let stack: Stack;
  beforeAll(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const { port } = collector.address() as AddressInfo;
    tracing = createTracing({ endpoint: `http://127.0.0.1:${port}`, serviceName: 'gateway-under-test' });
    stack = await startStack({ registerWebhook: false, tracer: tracing.tracer });
  });
  afterAll(async () => {
    await stack.close();
    await tracing.shutdown();
    collector.close();
  });

  it('exports the operation span with its billwerk calls as children', async () => {
    const { status } = await post(stack, CONTRACTS_PAGE, { authorization: bearer(stack.adminKey) });
    expect(status).toBe(200);
    // Resolves once the collector has answered the export.
    await tracing.flush();

    expect(paths[0]).toMatch(/^POST \/v1\/traces application\/json/);
    const resource = received[0]!.resourceSpans[0]!.resource;
    expect(resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'gateway-under-test' },
    });
    const spans = received.flatMap((r) =>
      r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
    );
    const operation = spans.find((s) => s.name === 'query ContractsPage');
    expect(operation).toBeDefined();
    expect(attribute(operation!, 'graphql.operation.name')).toBe('ContractsPage');
    expect(attribute(operation!, 'graphql.operation.type')).toBe('query');

    const children = spans.filter((s) => s.parentSpanId === operation!.spanId);
    expect(children.length).toBeGreaterThan(1);
    for (const child of children) expect(child.traceId).toBe(operation!.traceId);
    const names = children.map((c) => c.name);
    expect(names).toContain('GET /contracts');
    expect(names).toContain('GET /customers/{id}');
    expect(names).toContain('GET /productInfo');
    const customerCall = children.find((c) => c.name === 'GET /customers/{id}')!;
    expect(attribute(customerCall, 'http.request.method')).toBe('GET');
    expect(attribute(customerCall, 'url.template')).toBe('/customers/{id}');
    expect(attribute(customerCall, 'http.response.status_code')).toBe(200);
    // Ids stay out of span names and attributes: the route template is what identifies a call.
    expect(JSON.stringify(children)).not.toMatch(/65f0[0-9a-f]{20}/);
  });
});
