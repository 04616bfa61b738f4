// Child process: the billwerk emulator with a fixed delay on every REST call, holding the contracts the
// soak's webhooks name (each with a customer of its own), created over REST before the load starts.
import { createBillwerkClient } from '../../src/billwerk/client.js';
import { answeredId } from '../../src/billwerk/id.js';
import { createEmulator } from '../../src/emulator/emulator.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { childConfig, serveParent } from '../lib/child.js';
import { emulatorConfigSchema, type EmulatorSetup } from './protocol.js';

const config = childConfig(emulatorConfigSchema);
const emulator = await createEmulator({ latencyMs: config.latencyMs });
const billwerk = createBillwerkClient({ baseUrl: emulator.url, ...emulator.credentials });

const variants = Object.values(SEED_IDS.planVariants);
const contracts: EmulatorSetup['contracts'] = [];
let next = 0;
/** Signs up customers one after another until all are made; several of these run side by side. */
async function signUpWorker(): Promise<void> {
  for (let i = next++; i < config.contracts; i = next++) {
    const order = await billwerk.orders.create({
      Customer: { FirstName: 'Soak', LastName: `Customer ${i}`, EmailAddress: `soak${i}@example.com` },
      Cart: { PlanVariantId: variants[i % variants.length]! },
    });
    const committed = await billwerk.orders.commit(answeredId(order.Id, 'Order.Id'), {
      PaymentMethod: 'InvoicePayment',
    });
    contracts.push({ id: committed.Id, customerId: committed.CustomerId });
  }
}
await Promise.all(Array.from({ length: 8 }, signUpWorker));
await billwerk.close();

serveParent(emulator.url, { setup: (): EmulatorSetup => ({ contracts, ...emulator.credentials }) }, () =>
  emulator.close(),
);
