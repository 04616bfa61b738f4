// Probe webhooks for the scale-out tests: numbered notices over three contracts, the subscription that
// follows them, and the check that each arrived once and in per-contract order.
import { expect } from '@jest/globals';
import { encodeEventCursor } from '../../src/events/cursor.js';
import { postWebhook } from './http.js';
import { WEBHOOK_AUTH } from './process.js';

export const PROBES = /* GraphQL */ `
  subscription Probes($after: String) {
    billwerkEvents(types: ["ScaleProbe"], after: $after) {
      cursor
      payload
    }
  }
`;
export interface Probe {
  billwerkEvents: { cursor: string; payload: { N: number; ContractId: string } };
}

export const CONTRACTS = ['65f000000000000000000a01', '65f000000000000000000a02', '65f000000000000000000a03'];
/** Replays the whole log, then follows it: a subscriber cannot miss what was posted before it was live. */
export const FROM_START = { after: encodeEventCursor(0) };

/** Posts a notice to a gateway process's webhook endpoint, with its answer. */
export const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  postWebhook(`${url}/webhooks/billwerk`, body, { auth: WEBHOOK_AUTH, headers });

export const probe = (n: number) => ({ Event: 'ScaleProbe', ContractId: CONTRACTS[n % 3], N: n });

/** Each N of `ns` exactly once, and within each contract in the order posted. */
export function expectOnceInOrder(items: Probe[], count: number | number[]): void {
  const expected = typeof count === 'number' ? Array.from({ length: count }, (_, i) => i + 1) : count;
  const ns = items.map((item) => item.billwerkEvents.payload.N);
  expect([...ns].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
  for (const contract of CONTRACTS) {
    const mine = items
      .filter((item) => item.billwerkEvents.payload.ContractId === contract)
      .map((item) => item.billwerkEvents.payload.N);
    expect(mine).toEqual([...mine].sort((a, b) => a - b));
  }
}
