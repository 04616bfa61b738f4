// Child process: the gateway under test with its seeded emulator (whose clock stands still, so it does no
// work of its own), alone in its process so that its memory and CPU time can be read apart from the
// clients'. Forked with --expose-gc, so memory is read after a full collection; profiles on request.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBillwerkClient } from '../../src/billwerk/client.js';
import { loadConfig } from '../../src/config.js';
import { createClock } from '../../src/emulator/clock.js';
import { createEmulator } from '../../src/emulator/emulator.js';
import { createLogger } from '../../src/logger.js';
import { createGateway } from '../../src/server/gateway.js';
import { childConfig, serveParent } from '../lib/child.js';
import { collectGarbage } from './memory.js';
import { BENCH_ADMIN_KEY, BENCH_WEBHOOK_AUTH, gatewayConfigSchema, type GatewayStats } from './protocol.js';

const { profileDir } = childConfig(gatewayConfigSchema);
const dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-bench-subscriptions-'));
const emulator = await createEmulator({ clock: createClock({ mode: 'manual' }) });
const billwerk = createBillwerkClient({ baseUrl: emulator.url, ...emulator.credentials });
const gateway = await createGateway({
  config: loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    GATEWAY_MODE: 'production',
    GATEWAY_ADMIN_KEY: BENCH_ADMIN_KEY,
  }),
  billwerk,
  logger: createLogger({ level: 'silent' }),
  webhookCredentials: { basicAuth: { ...BENCH_WEBHOOK_AUTH } },
});

const stats = (): GatewayStats => {
  const { hub } = gateway.events;
  return {
    hub: { size: hub.size, opened: hub.opened, closed: hub.closed },
    fanout: { ...gateway.fanout },
    memory: process.memoryUsage(),
  };
};

/** The inspector's sampling profiler, for windows the orchestrator chooses (not the whole process). */
let session: Session | undefined;
let profiles = 0;
async function profileStart(): Promise<void> {
  if (profileDir === null || session) return;
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
async function profileStop(): Promise<string | null> {
  if (!session || profileDir === null) return null;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  session = undefined;
  profiles += 1;
  const file = path.join(profileDir, `gateway-${profiles}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

serveParent(
  gateway.url,
  {
    stats,
    gc: async () => {
      await collectGarbage();
      return stats();
    },
    profileStart,
    profileStop,
  },
  async () => {
    await profileStop();
    await gateway.close();
    await billwerk.close();
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
);
