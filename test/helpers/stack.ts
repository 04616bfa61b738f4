// Starts the real parts on free ports for integration tests: the emulator, a billwerk client pointed at it
// over HTTP, and the gateway; `close()` stops all of them.
import {
  createBillwerkClient,
  type BillwerkClient,
  type BillwerkClientOptions,
} from '../../src/billwerk/client.js';
import { loadConfig } from '../../src/config.js';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/emulator.js';
import { createLogger } from '../../src/logger.js';
import { type SharedCacheOptions } from '../../src/loaders/shared-cache.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { createGatewayClient, type GatewayClient } from '../../sdk/client.js';

export interface Stack {
  emulator: Emulator;
  billwerk: BillwerkClient;
  gateway: Gateway;
  /** The generated SDK pointed at the gateway. */
  sdk: GatewayClient;
  graphqlUrl: string;
  close(): Promise<void>;
}

export interface StackOptions {
  emulator?: EmulatorOptions;
  client?: Partial<BillwerkClientOptions>;
  cache?: SharedCacheOptions;
  env?: Record<string, string>;
}

/** A fixed start for the emulated clock, so dates in assertions are stable. */
export const TEST_START = new Date('2026-01-15T10:00:00.000Z');

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const emulator = await createEmulator({
    clock: createClock({ mode: 'manual', start: TEST_START }),
    webhooks: { baseDelayMs: 20 },
    ...options.emulator,
  });
  const billwerk = createBillwerkClient({
    baseUrl: emulator.url,
    ...emulator.credentials,
    retryBaseDelayMs: 5,
    ...options.client,
  });
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', ...options.env });
  const gateway = await createGateway({
    config,
    billwerk,
    logger: createLogger({ level: 'silent' }),
    cacheOptions: options.cache,
  });
  const graphqlUrl = `${gateway.url}/graphql`;
  return {
    emulator,
    billwerk,
    gateway,
    graphqlUrl,
    sdk: createGatewayClient({ url: graphqlUrl }),
    async close() {
      await gateway.close();
      await billwerk.close();
      await emulator.close();
    },
  };
}
