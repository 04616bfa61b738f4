// Helpers the reconciliation suites share: billwerk's webhooks switched off and on (the registration
// deleted, as when billwerk gave up on the gateway), the emulated clock moved, the pipeline settled, and
// the contract events a subscriber and the log hold.
import { type Stack, TEST_WEBHOOK_AUTH } from './stack.js';
import { bid } from './ids.js';

export interface ContractEvent {
  event: string;
  changeId: string | null;
  changeType: string | null;
  contractId: string;
  source: string;
}
export interface Seen {
  contractChanged: ContractEvent;
}
export const CONTRACT_EVENTS = /* GraphQL */ `
  subscription {
    contractChanged {
      event
      changeId
      changeType
      contractId
      source
    }
  }
`;

/** No registration: billwerk sends nothing, and retries nothing later. */
export async function webhooksOff(stack: Stack): Promise<void> {
  for (const registration of await stack.billwerk.webhooks.list()) {
    await stack.billwerk.webhooks.delete(bid(registration.Id));
  }
}

export async function webhooksOn(stack: Stack): Promise<void> {
  await stack.billwerk.webhooks.register({
    Url: stack.webhookUrl,
    Events: [],
    Auth: { Type: 'Basic', User: TEST_WEBHOOK_AUTH.user, Password: TEST_WEBHOOK_AUTH.password },
  });
}

/** The emulated clock `ms` later (one second by default: billwerk merges a contract's same-instant changes). */
export const tick = (stack: Stack, ms = 1000) =>
  stack.emulator.clock.advanceTo(new Date(stack.emulator.clock.now().getTime() + ms));

/** Every webhook delivered and every stored event published. */
export async function settle(stack: Stack): Promise<void> {
  await stack.emulator.webhooks.idle();
  await stack.gateway.events.pipeline.idle();
}

/** A sweep, then everything it appended published. */
export async function sweep(stack: Stack) {
  const result = await stack.gateway.events.reconciler.sweep();
  await settle(stack);
  return result;
}

/** `event:changeType:source` of an event, or `event:source` when it names no change. */
export const keyOf = (e: Pick<ContractEvent, 'event' | 'changeType' | 'source'>): string =>
  [e.event, e.changeType, e.source].filter((part) => part !== null).join(':');

/** The contract events the log holds for a contract, in receipt order, as keys (sources as in GraphQL). */
export async function loggedFor(stack: Stack, contractId: string): Promise<string[]> {
  const events = await stack.gateway.events.log.list({
    first: 100,
    contractId: bid(contractId),
    types: ['ContractCreated', 'ContractChanged', 'ContractCancelled'],
  });
  return events.map((e) =>
    keyOf({ event: e.notice.event, changeType: e.notice.changeType ?? null, source: e.source.toUpperCase() }),
  );
}
