// Reconciliation: webhooks lost while flows run (the registration removed, as when billwerk gave up on
// the gateway) are found in billwerk's contract changes and delivered to subscribers, exactly the missing
// ones, in per-contract order, never a second copy of one that did arrive; the watermark survives a restart.
import { rmSync } from 'node:fs';
import { ChangePlanDocument } from '../../sdk/generated/graphql.js';
import { loadConfig } from '../../src/config.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { createLogger } from '../../src/logger.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { newKey, signupNew } from '../helpers/mutations.js';
import { CONTRACT_EVENTS, settle, tick, webhooksOff, webhooksOn, type Seen } from '../helpers/reconcile.js';
import { startStack, TEST_WEBHOOK_AUTH, type Stack } from '../helpers/stack.js';
import { collect, wsClient } from '../helpers/ws.js';
import { bid } from '../helpers/ids.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { RECONCILE_INTERVAL_MS: '0', RECONCILE_GRACE_MS: '0' } });
});
/** The gateway the second test starts over the first one's data (the stack's own is closed by then). */
let restarted: Gateway | undefined;
afterAll(async () => {
  if (!restarted) return stack.close();
  await restarted.close();
  await stack.billwerk.close();
  await stack.emulator.close();
  rmSync(stack.dataDir, { recursive: true, force: true });
});

/** The change ids of a contract, oldest first. */
const changesOf = async (contractId: string) =>
  (await stack.billwerk.contractChanges.list({ contractId: bid(contractId) })).map((c) => c.Id).reverse();

const key = (e: Seen['contractChanged']) => `${e.event}:${e.changeId}`;

describe('reconciliation', () => {
  it('fills exactly the changes whose webhooks were lost, in order, and nothing twice', async () => {
    // The first sweep sets the watermark: history before the gateway's first start is not replayed.
    expect(await stack.gateway.events.reconciler.sweep()).toMatchObject({ swept: true, appended: 0 });
    const client = wsClient(stack.graphqlUrl);
    const feed = collect<Seen>(client, CONTRACT_EVENTS);

    // Delivered by webhook.
    const first = await signupNew(stack.sdk);
    const a = first.contract.billwerkId;
    await settle(stack);
    await tick(stack);

    // Lost: no registration while these run.
    await webhooksOff(stack);
    await stack.sdk.request(ChangePlanDocument, {
      input: { contractId: a, planVariantId: SEED_IDS.planVariants.proMonthly, idempotencyKey: newKey() },
    });
    await tick(stack);
    const second = await signupNew(stack.sdk);
    const b = second.contract.billwerkId;
    await tick(stack);
    await webhooksOn(stack);
    await settle(stack);
    const beforeSweep = feed.items.length;
    expect(feed.items.map((i) => i.contractChanged.contractId)).not.toContain(b);

    const [signupA, upgradeA] = await changesOf(a);
    const [signupB] = await changesOf(b);
    const result = await stack.gateway.events.reconciler.sweep();
    expect(result).toMatchObject({ swept: true, appended: 3 });
    await settle(stack);
    const all = await feed.waitFor(beforeSweep + 3);
    const reconciled = all.slice(beforeSweep).map((i) => i.contractChanged);
    expect(reconciled.every((e) => e.source === 'RECONCILED')).toBe(true);
    // Exactly the missing notices; per contract in billwerk's order (ContractCreated before ContractChanged).
    expect(reconciled.filter((e) => e.contractId === a).map(key)).toEqual([`ContractChanged:${upgradeA}`]);
    expect(reconciled.filter((e) => e.contractId === b).map(key)).toEqual([
      `ContractCreated:${signupB}`,
      `ContractChanged:${signupB}`,
    ]);
    // What the webhook delivered came once, from the webhook.
    const seenA = all.filter((i) => i.contractChanged.changeId === signupA).map((i) => i.contractChanged);
    expect(seenA.map(key).sort()).toEqual([`ContractChanged:${signupA}`, `ContractCreated:${signupA}`]);
    expect(seenA.every((e) => e.source === 'WEBHOOK')).toBe(true);

    // A sweep after the webhooks caught up finds nothing new.
    expect(await stack.gateway.events.reconciler.sweep()).toMatchObject({ swept: true, appended: 0 });
    await client.dispose();
  });

  it('keeps its watermark across a restart and reports reconciled events in the operator log', async () => {
    await webhooksOff(stack);
    const lost = await signupNew(stack.sdk);
    await tick(stack);
    await webhooksOn(stack);
    // A new gateway process over the same data: no webhook brings the signup, only the stored watermark can.
    await stack.gateway.close();
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: stack.dataDir,
      GATEWAY_ADMIN_KEY: TEST_ADMIN_KEY,
      RECONCILE_INTERVAL_MS: '0',
      RECONCILE_GRACE_MS: '0',
    });
    restarted = await createGateway({
      config,
      billwerk: stack.billwerk,
      logger: createLogger({ level: 'silent' }),
      webhookCredentials: { basicAuth: TEST_WEBHOOK_AUTH },
      now: () => stack.emulator.clock.now().getTime(),
    });
    expect(await restarted.events.reconciler.sweep()).toMatchObject({ swept: true, appended: 2 });
    await restarted.events.pipeline.idle();
    const logged = await restarted.events.log.list({ first: 10, contractId: lost.contract.billwerkId });
    expect(logged.map((e) => [e.notice.event, e.source, e.state])).toEqual([
      ['ContractCreated', 'reconciled', 'published'],
      ['ContractChanged', 'reconciled', 'published'],
    ]);
  });
});
