// Child process: the billwerk emulator with a fixed delay on every REST call, alone in its process so
// its CPU time is not charged to the server under test. The orchestrator reads its request log.
import { createEmulator } from '../../src/emulator/emulator.js';
import { childConfig, serveParent } from '../lib/child.js';
import { emulatorConfigSchema, type RequestSummary } from './protocol.js';

const config = childConfig(emulatorConfigSchema);
const emulator = await createEmulator({ latencyMs: config.latencyMs });

function kindOf(path: string): Exclude<keyof RequestSummary, 'total' | 'errors'> {
  const lower = path.toLowerCase();
  if (lower.startsWith('/oauth/')) return 'token';
  if (lower === '/api/v1/contracts') return 'contractsPage';
  if (/^\/api\/v1\/customers\/[^/]+$/.test(lower)) return 'customer';
  if (lower === '/api/v1/productinfo') return 'productInfo';
  return 'other';
}

serveParent(
  emulator.url,
  {
    credentials: () => emulator.credentials,
    summary: () => {
      const summary: RequestSummary = {
        total: 0,
        token: 0,
        contractsPage: 0,
        customer: 0,
        productInfo: 0,
        other: 0,
        errors: 0,
      };
      for (const record of emulator.requests.list()) {
        summary.total += 1;
        summary[kindOf(record.path)] += 1;
        if (record.status >= 400) summary.errors += 1;
      }
      return summary;
    },
    reset: () => emulator.requests.reset(),
  },
  () => emulator.close(),
);
