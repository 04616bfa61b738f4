// Child process: the server under test, alone in its process so that its CPU time can be read apart from
// the emulator's and the load generator's. Either the gateway (shared cache on or off) or the baseline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { hashKey } from '../../src/auth/authenticate.js';
import { createBillwerkClient } from '../../src/billwerk/client.js';
import { loadConfig } from '../../src/config.js';
import { type SharedCacheOptions } from '../../src/loaders/shared-cache.js';
import { createLogger } from '../../src/logger.js';
import { createGateway } from '../../src/server/gateway.js';
import { createBaselineAggregator } from './baseline-aggregator.js';
import { childConfig, serveParent } from '../lib/child.js';
import { serverConfigSchema, type UpstreamCall } from './protocol.js';

/**
 * The shared cache off, as far as it goes: entries live 1 ms, long enough for the lookups that follow a
 * read in the same tick (a variant's plan and plan group after the catalogue arrives), too short for any
 * other request. Concurrent identical reads still share one call in flight; that cannot be turned off.
 */
const CACHE_OFF: SharedCacheOptions = { entityTtlMs: 1, catalogueTtlMs: 1 };

const config = childConfig(serverConfigSchema);

/** Upstream calls, kept only between the parent's `record` and `calls` (a trace, not the load phases). */
let recorded: UpstreamCall[] | undefined;
const onCall = (call: UpstreamCall) => recorded?.push(call);
const tracing = {
  record: () => void (recorded = []),
  calls: () => {
    const calls = recorded ?? [];
    recorded = undefined;
    return calls;
  },
};

if (config.kind === 'baseline') {
  const baseline = await createBaselineAggregator({ ...config, onCall });
  serveParent(baseline.url, { ...tracing, cacheStats: () => null }, () => baseline.close());
} else {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-bench-'));
  // The client's own default is 32 sockets; the baseline gets the same number through the same option.
  const dispatcher = new Agent({ connections: config.connections });
  const billwerk = createBillwerkClient({
    baseUrl: config.billwerkUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    dispatcher,
    onResponse: ({ method, path, durationMs }) => {
      const endedAt = performance.now();
      onCall({ method, path, startedAt: endedAt - durationMs, endedAt });
    },
  });
  const gateway = await createGateway({
    config: loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      GATEWAY_MODE: 'production',
      // A readonly API key, as a frontend reading contracts would hold: authentication is part of the cost.
      API_KEYS: JSON.stringify([{ id: 'bench', role: 'readonly', sha256: hashKey(config.apiKey) }]),
      // One key sends the whole load: the per-caller rate limit would measure itself, not the gateway.
      RATE_LIMIT_PER_MINUTE: '0',
    }),
    billwerk,
    logger: createLogger({ level: 'silent' }),
    ...(config.kind === 'gateway-cold' ? { cacheOptions: CACHE_OFF } : {}),
  });
  serveParent(gateway.url, { ...tracing, cacheStats: () => ({ ...gateway.cache.stats }) }, async () => {
    await gateway.close();
    await billwerk.close();
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
}
