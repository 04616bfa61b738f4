// How the page words a contract: its label where several contracts of one customer appear side by side, and
// why a flow button is disabled for it.
import { type ContractQuery, type ContractsQuery } from '../../sdk/client.js';
import { day } from './dom.js';

type ContractRow = ContractsQuery['contracts']['edges'][number]['node'];
type ContractDetail = NonNullable<ContractQuery['contract']>;

/**
 * A contract as the event log names it: one customer may hold several contracts, so the plan and the end of
 * the billwerk id tell them apart.
 */
export function contractLabel(contract: ContractRow | undefined): string | undefined {
  if (!contract) return undefined;
  const name = contract.customer?.displayName ?? 'unknown customer';
  return `${name} · ${contract.planVariant?.name ?? 'no plan'} · …${contract.billwerkId.slice(-4)}`;
}

/** Why Change plan or Terminate cannot run on this contract now (neither key when both can). */
export function blockedReason(contract: ContractDetail | undefined): {
  upgrade?: string;
  terminate?: string;
} {
  if (contract === undefined) {
    const reason = 'Pick a contract to change its plan or terminate it.';
    return { upgrade: reason, terminate: reason };
  }
  if (contract.status === 'ENDED') {
    const reason = `This contract ended${contract.endDate ? ` on ${day(contract.endDate)}` : ''}: there is nothing to change.`;
    return { upgrade: reason, terminate: reason };
  }
  if (contract.endDate !== null)
    return { terminate: `Already terminated: it ends on ${day(contract.endDate)}.` };
  return {};
}
