// billwerk's ids are ObjectIds, ordered only per server and per second: a change made on another server in
// the same second can sort below one a sweep already saw. Against an emulator handing out ids from two
// simulated servers, with webhooks lost, every change is reconciled once over many sweeps: nothing skipped
// because of id order, nothing doubled.
import { bid } from '../helpers/ids.js';
import { signupNew } from '../helpers/mutations.js';
import {
  CONTRACT_EVENTS,
  keyOf,
  loggedFor,
  sweep,
  tick,
  webhooksOff,
  type Seen,
} from '../helpers/reconcile.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { subscribeLive, type Collector } from '../helpers/ws.js';

/** The second server's part sorts first: what it makes later in a second sorts below the first's. */
const SERVERS = ['ffffffffff', '0000000000'];
const ROUNDS = 4;
const SIGNUPS_PER_ROUND = 4;

let stack: Stack;
let feed: Collector<Seen> & { close(): Promise<void> };
beforeAll(async () => {
  stack = await startStack({
    emulator: { idProcessParts: SERVERS },
    env: { RECONCILE_INTERVAL_MS: '0', RECONCILE_GRACE_MS: '0' },
  });
  feed = await subscribeLive<Seen>(stack.graphqlUrl, stack.gateway.events.hub, CONTRACT_EVENTS);
});
afterAll(async () => {
  await feed.close();
  await stack.close();
});

describe('reconciliation with ids from two billwerk servers', () => {
  it('reconciles every change once, whatever order its id sorts in', async () => {
    expect(await sweep(stack)).toMatchObject({ swept: true, appended: 0 });
    await webhooksOff(stack);
    /** Signup change ids in the order they were made, each followed by a sweep. */
    const made: { contractId: string; changeId: string }[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Several signups in one emulated second, a sweep after each.
      for (let n = 0; n < SIGNUPS_PER_ROUND; n += 1) {
        const contractId = (await signupNew(stack.sdk)).contract.billwerkId;
        const [change] = await stack.billwerk.contractChanges.list({ contractId: bid(contractId) });
        made.push({ contractId, changeId: change!.Id });
        await sweep(stack);
      }
      await tick(stack);
    }
    // The hazard is real: a change made after a sweep sorts below the highest id that sweep had seen.
    const overtaken = made.filter((m, i) =>
      made.slice(0, i).some((earlier) => earlier.changeId > m.changeId),
    );
    expect(overtaken.length).toBeGreaterThan(0);

    for (const { contractId } of made) {
      expect(await loggedFor(stack, contractId)).toEqual([
        'ContractCreated:Signup:RECONCILED',
        'ContractChanged:Signup:RECONCILED',
      ]);
    }
    const contracts = new Set(made.map((m) => m.contractId));
    const mine = (items: Seen[]) => items.filter((i) => contracts.has(i.contractChanged.contractId));
    const fed = mine(await feed.waitUntil((items) => mine(items).length >= 2 * made.length));
    expect(fed.map((i) => `${i.contractChanged.changeId}:${keyOf(i.contractChanged)}`).sort()).toEqual(
      made
        .flatMap((m) => [
          `${m.changeId}:ContractChanged:Signup:RECONCILED`,
          `${m.changeId}:ContractCreated:Signup:RECONCILED`,
        ])
        .sort(),
    );
    // Later sweeps find nothing more.
    expect(await sweep(stack)).toMatchObject({ appended: 0, discovered: 0 });
  });
});
