// Starts the real parts on free ports for integration tests: the emulator, a billwerk client pointed at it
// over HTTP, and the gateway; `close()` stops all of them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Tracer } from '@opentelemetry/api';
import {
  createBillwerkClient,
  type BillwerkClient,
  type BillwerkClientOptions,
} from '../../src/billwerk/client.js';
import { loadConfig } from '../../src/config.js';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/emulator.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { type SharedCacheOptions } from '../../src/loaders/shared-cache.js';
import { type DashboardOptions } from '../../src/server/dashboard.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { createMetrics } from '../../src/server/metrics.js';
import { type WebhookCredentials } from '../../src/webhooks/auth.js';
import { attributeToRequest } from '../../src/server/request-scope.js';
import { createGatewayClient, type GatewayClient } from '../../sdk/client.js';
import { bearer, TEST_ADMIN_KEY } from './auth.js';
import { postWebhook } from './http.js';

/** The webhook credentials test stacks use; the emulator is registered to send with them. */
export const TEST_WEBHOOK_AUTH = { user: 'billwerk', password: 'webhook-test-secret' };

export interface Stack {
  emulator: Emulator;
  billwerk: BillwerkClient;
  gateway: Gateway;
  /** The generated SDK pointed at the gateway, as admin (GATEWAY_ADMIN_KEY). */
  sdk: GatewayClient;
  /** The SDK sending these credentials (a key or token; none when undefined). */
  sdkAs(credential: string | undefined): GatewayClient;
  /** The admin key the stack runs with (TEST_ADMIN_KEY unless env overrides it). */
  adminKey: string;
  graphqlUrl: string;
  /** Where billwerk's webhooks go (authenticated with TEST_WEBHOOK_AUTH). */
  webhookUrl: string;
  /** The gateway's data folder (a fresh temp dir). */
  dataDir: string;
  /** Resolves after the next delivery attempt to an event destination, once its outcome is stored. */
  nextDestinationAttempt(): Promise<void>;
  /** POSTs a notice to the webhook endpoint with valid credentials; resolves with the HTTP status. */
  postWebhook(body: unknown, headers?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export interface StackOptions {
  emulator?: EmulatorOptions;
  client?: Partial<BillwerkClientOptions>;
  cache?: SharedCacheOptions;
  env?: Record<string, string>;
  /** Event hub tuning, e.g. a small slow-consumer limit. */
  hub?: { maxBuffered?: number };
  /** Register the gateway's webhook with the emulator. @default true */
  registerWebhook?: boolean;
  /** What the webhook endpoint requires. @default HTTP Basic with TEST_WEBHOOK_AUTH */
  webhookCredentials?: WebhookCredentials;
  /** The gateway's logger. @default silent */
  logger?: Logger;
  /** Traces operations and their billwerk calls. @default none */
  tracer?: Tracer;
  /** The dashboard at `/`. @default dist/web, without the emulator's flow buttons */
  dashboard?: DashboardOptions;
}

/** A fixed start for the emulated clock, so dates in assertions are stable. */
export const TEST_START = new Date('2026-01-15T10:00:00.000Z');

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const emulator = await createEmulator({
    clock: createClock({ mode: 'manual', start: TEST_START }),
    webhooks: { baseDelayMs: 20 },
    ...options.emulator,
  });
  // Many stacks share a test process: Node's default metrics are left out. Destination attempts are also
  // announced to the test, which waits on them instead of reading the state again after a pause.
  const measured = createMetrics({ defaultMetrics: false });
  let attemptWaiters: (() => void)[] = [];
  const metrics: typeof measured = {
    ...measured,
    destinationAttempt(outcome, state) {
      measured.destinationAttempt(outcome, state);
      const waiters = attemptWaiters;
      attemptWaiters = [];
      for (const resolve of waiters) resolve();
    },
  };
  const billwerk = createBillwerkClient({
    onResponse: attributeToRequest(metrics.upstreamCall),
    baseUrl: emulator.url,
    ...emulator.credentials,
    retryBaseDelayMs: 5,
    ...options.client,
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-test-'));
  const env = { GATEWAY_ADMIN_KEY: TEST_ADMIN_KEY, ...options.env };
  const adminKey = env.GATEWAY_ADMIN_KEY;
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...env });
  const gateway = await createGateway({
    config,
    billwerk,
    logger: options.logger ?? createLogger({ level: 'silent' }),
    metrics,
    tracer: options.tracer,
    dashboard: options.dashboard,
    cacheOptions: options.cache,
    webhookCredentials: options.webhookCredentials ?? { basicAuth: TEST_WEBHOOK_AUTH },
    pipelineOptions: { retryBaseDelayMs: 20 },
    hubOptions: options.hub,
    // Dates in mutation inputs are checked against billwerk's clock: here, the emulator's.
    now: () => emulator.clock.now().getTime(),
  });
  const graphqlUrl = `${gateway.url}/graphql`;
  const webhookUrl = `${gateway.url}/webhooks/billwerk`;
  if (options.registerWebhook ?? true) {
    await billwerk.webhooks.register({
      Url: webhookUrl,
      Events: [],
      Auth: { Type: 'Basic', User: TEST_WEBHOOK_AUTH.user, Password: TEST_WEBHOOK_AUTH.password },
    });
  }
  return {
    emulator,
    billwerk,
    gateway,
    graphqlUrl,
    webhookUrl,
    dataDir,
    adminKey,
    sdk: createGatewayClient({ url: graphqlUrl, headers: { authorization: bearer(adminKey) } }),
    sdkAs: (credential) =>
      createGatewayClient({
        url: graphqlUrl,
        headers: credential === undefined ? {} : { authorization: bearer(credential) },
      }),
    nextDestinationAttempt: () => new Promise<void>((resolve) => attemptWaiters.push(resolve)),
    postWebhook: async (body, headers = {}) =>
      (await postWebhook(webhookUrl, body, { auth: TEST_WEBHOOK_AUTH, headers })).status,
    async close() {
      await gateway.close();
      await billwerk.close();
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
