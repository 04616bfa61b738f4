// Test harness for the emulator suites: an emulator on a manual clock, a small REST client that
// fetches and refreshes its token like a real one, and a real HTTP listener that records webhooks.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { request } from 'undici';
import type { Contract, Invoice, Order, WebhookNotice } from '../../src/billwerk/dto.js';
import { createClock, type EmulatorClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/emulator.js';

export const START = new Date('2024-03-01T09:00:00.000Z');

// Typed wrappers for jest's asymmetric matchers (which are typed `any`), for use inside object literals.
export const anyString: unknown = expect.any(String);
export const containing = (text: string): unknown => expect.stringContaining(text);
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);
export const DAY = 86_400_000;

export interface Reply<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** One plain HTTP call to the emulator (no token handling), for OAuth and admin tests. */
export async function raw(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const response = await request(`${baseUrl}${path}`, { method: method as 'GET', ...options });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

/** A REST client with billwerk's token handling: fetch once, refetch after a 401 and retry once. */
export class RestClient {
  private token: string | undefined;

  constructor(private readonly emulator: Emulator) {}

  async fetchToken(): Promise<string> {
    const { clientId, clientSecret } = this.emulator.credentials;
    const response = await request(`${this.emulator.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const body = (await response.body.json()) as { access_token: string };
    this.token = body.access_token;
    return body.access_token;
  }

  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    let reply = await this.once<T>(method, path, body, headers, this.token ?? (await this.fetchToken()));
    if (reply.status === 401)
      reply = await this.once<T>(method, path, body, headers, await this.fetchToken());
    return reply;
  }

  /** A call that must succeed with `status`; returns the body. */
  async ok<T = unknown>(method: string, path: string, body?: unknown, status = 200): Promise<T> {
    const reply = await this.call<T>(method, path, body);
    if (reply.status !== status) {
      throw new Error(`${method} ${path} → ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    return reply.body;
  }

  private async once<T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    token: string,
  ): Promise<Reply<T>> {
    const response = await request(`${this.emulator.apiUrl}${path}`, {
      method: method as 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  }
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  notice: WebhookNotice;
  /** Wall-clock ms when it arrived. */
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Hold the answer this long (to provoke the sender's timeout). */
  delayMs?: number;
}

/** A real HTTP listener for webhooks; `answer` decides each reply (default 200). */
export class HookListener {
  /** Notices answered with a 2xx, in arrival order. */
  readonly received: Received[] = [];
  /** Every request, including the ones answered with a failure. */
  readonly attempts: Received[] = [];
  answer: (attempt: Received) => Answer = () => ({ status: 200 });
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const attempt: Received = {
          path: req.url ?? '',
          headers: req.headers,
          notice: JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookNotice,
          at: Date.now(),
        };
        this.attempts.push(attempt);
        const { status, headers = {}, delayMs = 0 } = this.answer(attempt);
        const reply = (): void => {
          if (res.destroyed) return;
          if (status >= 200 && status < 300) this.received.push(attempt);
          res.writeHead(status, headers).end();
        };
        if (delayMs > 0) setTimeout(reply, delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  /** Event names in arrival order, e.g. "ContractChanged:Upgrade". */
  events(filter: (notice: WebhookNotice) => boolean = () => true): string[] {
    return this.received
      .map((item) => item.notice)
      .filter(filter)
      .map((notice) =>
        notice.ContractChangeType ? `${notice.Event}:${notice.ContractChangeType}` : notice.Event,
      );
  }

  clear(): void {
    this.received.length = 0;
    this.attempts.length = 0;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export interface Harness {
  emulator: Emulator;
  clock: EmulatorClock;
  rest: RestClient;
  hooks: HookListener;
  /**
   * Waits until every webhook is delivered, returns what the listener received (only the notices of
   * `customerId` when given: other contracts bill too as the clock moves) and clears the list.
   */
  drain(customerId?: string): Promise<string[]>;
  /** The emulated now, epoch ms. */
  now(): number;
  /** Creates and commits a signup for a new customer paying by invoice; its webhooks are drained. */
  signup(variantId: string, cart?: Record<string, unknown>): Promise<Contract>;
  /** Creates and commits an order with `{}`; returns the contract. */
  order(body: Record<string, unknown>): Promise<Contract>;
  invoicesOf(contractId: string): Promise<Invoice[]>;
  contractOf(contractId: string): Promise<Contract>;
  close(): Promise<void>;
}

/** billwerk's date format for an epoch ms: ISO with 7 fraction digits. */
export const billwerkDate = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000Z');
export const isoDate = (ms: number): string => new Date(ms).toISOString();

/** An emulator on a manual clock at START with a listener registered for every event. */
export async function startHarness(options: EmulatorOptions = {}, events: string[] = []): Promise<Harness> {
  const clock = createClock({ mode: 'manual', start: START });
  const emulator = await createEmulator({
    clock,
    webhooks: { baseDelayMs: 20, factor: 2, maxRetries: 3, timeoutMs: 2000 },
    ...options,
  });
  const hooks = await new HookListener().start();
  const rest = new RestClient(emulator);
  await rest.ok('POST', '/webhooks', { Url: hooks.url, Events: events });
  let serial = 0;
  const harness: Harness = {
    emulator,
    clock,
    rest,
    hooks,
    async drain(customerId) {
      await emulator.webhooks.idle();
      const events = hooks.events((notice) => customerId === undefined || notice.CustomerId === customerId);
      hooks.clear();
      return events;
    },
    now: () => clock.now().getTime(),
    async signup(variantId, cart = {}) {
      serial += 1;
      const order = await rest.ok<Order>('POST', '/orders', {
        Customer: { FirstName: 'Test', LastName: `Customer ${serial}`, ExternalCustomerId: `flow-${serial}` },
        Cart: { PlanVariantId: variantId, ...cart },
      });
      const contract = await rest.ok<Contract>('POST', `/orders/${order.Id}/commit`, {
        PaymentMethod: 'InvoicePayment',
      });
      await harness.drain();
      return contract;
    },
    async order(body) {
      const created = await rest.ok<Order>('POST', '/orders', body);
      return rest.ok<Contract>('POST', `/orders/${created.Id}/commit`, {});
    },
    invoicesOf: (contractId) => rest.ok<Invoice[]>('GET', `/invoices?contractId=${contractId}`),
    contractOf: (contractId) => rest.ok<Contract>('GET', `/contracts/${contractId}`),
    async close() {
      await emulator.close();
      await hooks.close();
    },
  };
  return harness;
}
