// Enrichment reads the state after the change a webhook announces (billwerk's advice for ContractChanged:
// fetch the contract), even when a read of that contract from before the change is still in flight:
// the emulator holds a query's GET /contracts/{id} while the contract changes and its webhook arrives.
import { SEED_IDS } from '../../src/emulator/seed.js';
import { postQuery } from '../helpers/http.js';
import { bid } from '../helpers/ids.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { subscribeLive } from '../helpers/ws.js';

const CONTRACT_CHANGED = /* GraphQL */ `
  subscription Changed($contractId: ID) {
    contractChanged(contractId: $contractId, changeTypes: ["Upgrade"]) {
      event
      contract {
        planVariant {
          billwerkId
        }
      }
    }
  }
`;

interface Changed {
  contractChanged: { event: string; contract: { planVariant: { billwerkId: string } | null } | null };
}

interface ContractData {
  contract: { planVariant: { billwerkId: string } | null } | null;
}

let stack: Stack;
beforeAll(async () => {
  // Entity reads are kept a millisecond: the query below goes to billwerk whatever enrichment read before.
  // What is under test is the sharing of reads in flight, which no TTL affects.
  stack = await startStack({ cache: { entityTtlMs: 1 } });
});
afterAll(() => stack.close());

async function variantOf(contractId: string): Promise<string | undefined> {
  const { data } = await postQuery<ContractData>(
    stack.graphqlUrl,
    `{ contract(id: "${contractId}") { planVariant { billwerkId } } }`,
    {},
    { credential: stack.adminKey },
  );
  return data?.contract?.planVariant?.billwerkId;
}

describe('enrichment after a change', () => {
  it('publishes the contract as it is after the change, not a read held from before it', async () => {
    const contractId = SEED_IDS.contracts.adaBasicMonthly;
    const { basicMonthly, proMonthly } = SEED_IDS.planVariants;
    const sub = await subscribeLive<Changed>(stack.graphqlUrl, stack.gateway.events.hub, CONTRACT_CHANGED, {
      contractId,
    });

    // A plan change, effective in an hour: OrderSucceeded now, ContractChanged when it takes effect.
    const changeDate = new Date(stack.emulator.clock.now().getTime() + 60 * 60 * 1000);
    const order = await stack.billwerk.orders.create({
      ContractId: contractId,
      Cart: { PlanVariantId: proMonthly },
      ChangeDate: changeDate.toISOString(),
    });
    await stack.billwerk.orders.commit(bid(order.Id));
    await stack.emulator.webhooks.idle();
    await stack.gateway.events.pipeline.idle();

    // A query reads the contract; billwerk has answered (before the change) but the answer is held.
    let release!: () => void;
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    stack.emulator.faults.inject({
      method: 'GET',
      path: `/api/v1/contracts/${contractId}`,
      times: 1,
      onArrival: arrived,
      holdAnswer: new Promise<void>((resolve) => (release = resolve)),
    });
    const heldQuery = variantOf(contractId);
    await reached;

    // The change takes effect; billwerk's ContractChanged is stored (2xx) while that read is still out.
    await stack.emulator.clock.advanceTo(changeDate);
    await stack.emulator.webhooks.idle();
    release();

    const [changed] = await sub.waitFor(1);
    expect(changed!.contractChanged).toEqual({
      event: 'ContractChanged',
      contract: { planVariant: { billwerkId: proMonthly } },
    });
    // The held read was the state before the change: it went to its own caller only.
    expect(await heldQuery).toBe(basicMonthly);
    await sub.close();
  });
});
