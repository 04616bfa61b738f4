// One DataLoader per entity per request: keys asked in the same tick are collected and each distinct id is
// read once; the per-request cache keeps a response consistent with itself. Reads go through the reader.
import DataLoader from 'dataloader';
import type {
  CancellationPreview,
  Component,
  ComponentSubscription,
  Contract,
  ContractChange,
  Coupon,
  Customer,
  Discount,
  DiscountSubscription,
  Invoice,
  MeteredUsage,
  Plan,
  PlanGroup,
  PlanVariant,
} from '../billwerk/dto.js';
import { type BillwerkReader, type Catalogue } from './reader.js';

/**
 * billwerk has no multi-id GET, so a "batch" is the distinct ids of a tick fetched in parallel. The value
 * DataLoader adds here is the tick-wide dedupe and the per-request cache; errors stay per key.
 */
function perKey<V>(load: (id: string) => Promise<V>): DataLoader<string, V> {
  return new DataLoader<string, V>((ids) =>
    Promise.all(
      ids.map((id) =>
        load(id).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      ),
    ),
  );
}

export interface Loaders {
  /** A whole catalogue list, from the shared cache (one billwerk call per list per TTL). */
  catalogue<K extends keyof Catalogue>(list: K): Promise<Catalogue[K]>;
  customer: DataLoader<string, Customer | null>;
  contract: DataLoader<string, Contract | null>;
  invoice: DataLoader<string, Invoice | null>;
  contractChange: DataLoader<string, ContractChange | null>;
  planGroup: DataLoader<string, PlanGroup | null>;
  plan: DataLoader<string, Plan | null>;
  planVariant: DataLoader<string, PlanVariant | null>;
  component: DataLoader<string, Component | null>;
  discount: DataLoader<string, Discount | null>;
  coupon: DataLoader<string, Coupon | null>;
  contractsOfCustomer: DataLoader<string, Contract[]>;
  componentSubscriptionsOfContract: DataLoader<string, ComponentSubscription[]>;
  discountSubscriptionsOfContract: DataLoader<string, DiscountSubscription[]>;
  changesOfContract: DataLoader<string, ContractChange[]>;
  usageOfContract: DataLoader<string, MeteredUsage[]>;
  /** Keyed by `cancellationKey(contractId, at)`. */
  cancellationPreview: DataLoader<string, CancellationPreview>;
  /**
   * After a write: drops a contract (with its components, discounts, changes, usage and previews) or a
   * customer (with its contract list) from this request's loaders and from the shared cache.
   */
  forget(kind: 'Contract' | 'Customer', id: string): void;
}

/** Key of the cancellation preview loader: the contract and the moment of cancellation (empty = now). */
export const cancellationKey = (contractId: string, at: string | undefined) => `${contractId}@${at ?? ''}`;

export function createLoaders(reader: BillwerkReader): Loaders {
  const { client, cache } = reader;
  const loaders: Loaders = {
    catalogue: (list) => reader.catalogueList(list),
    customer: perKey((id) => reader.customer(id)),
    contract: perKey((id) => reader.contract(id)),
    invoice: perKey((id) => reader.invoice(id)),
    contractChange: perKey((id) => reader.contractChange(id)),
    planGroup: perKey((id) => reader.catalogueItem('planGroups', id)),
    plan: perKey((id) => reader.catalogueItem('plans', id)),
    planVariant: perKey((id) => reader.catalogueItem('planVariants', id)),
    component: perKey((id) => reader.catalogueItem('components', id)),
    discount: perKey((id) => reader.catalogueItem('discounts', id)),
    coupon: perKey((id) => reader.catalogueItem('coupons', id)),
    contractsOfCustomer: perKey(async (customerId) => {
      const contracts = await cache.shareInFlight(`contractsOfCustomer:${customerId}`, () =>
        client.customers.contracts(customerId),
      );
      for (const contract of contracts) primeContract(contract);
      return contracts;
    }),
    componentSubscriptionsOfContract: perKey((id) =>
      cache.shareInFlight(`componentSubscriptions:${id}`, () => client.contracts.componentSubscriptions(id)),
    ),
    discountSubscriptionsOfContract: perKey((id) =>
      cache.shareInFlight(`discountSubscriptions:${id}`, () => client.contracts.discountSubscriptions(id)),
    ),
    changesOfContract: perKey((id) =>
      cache.shareInFlight(`changes:${id}`, async () => {
        const changes: ContractChange[] = [];
        for await (const page of client.paginate<ContractChange>('/contractChanges', { contractId: id })) {
          changes.push(...page);
        }
        return changes;
      }),
    ),
    usageOfContract: perKey((id) => cache.shareInFlight(`usage:${id}`, () => client.contracts.usage(id))),
    cancellationPreview: perKey((key) => {
      const [contractId = '', at = ''] = key.split('@');
      return cache.shareInFlight(`cancellationPreview:${key}`, () =>
        client.contracts.cancellationPreview(contractId, at || undefined),
      );
    }),
    forget: (kind, id) => forget(kind, id),
  };

  function forget(kind: 'Contract' | 'Customer', id: string): void {
    if (kind === 'Customer') {
      loaders.customer.clear(id);
      loaders.contractsOfCustomer.clear(id);
    } else {
      loaders.contract.clear(id);
      loaders.componentSubscriptionsOfContract.clear(id);
      loaders.discountSubscriptionsOfContract.clear(id);
      loaders.changesOfContract.clear(id);
      loaders.usageOfContract.clear(id);
      // Keyed by contract and moment; few per request, so dropping all is simpler than matching keys.
      loaders.cancellationPreview.clearAll();
    }
    cache.invalidate(kind, id);
  }

  /** A contract read as part of a list is as fresh as one read by id: later lookups need no call. */
  function primeContract(contract: Contract): void {
    loaders.contract.prime(contract.Id, contract);
    cache.prime('Contract', contract.Id, contract);
  }

  return loaders;
}

/** Lets list resolvers hand the entities they read to the per-request and shared caches. */
export function primeAll<T extends { Id: string }>(
  loader: DataLoader<string, T | null>,
  reader: BillwerkReader,
  kind: 'Customer' | 'Contract' | 'Invoice',
  items: readonly T[],
): void {
  for (const item of items) {
    loader.prime(item.Id, item);
    reader.cache.prime(kind, item.Id, item);
  }
}

/**
 * Empties every per-request cache. A subscription keeps one context for all its events; clearing before
 * each event makes each event's relations as fresh as a new request's.
 */
export function clearLoaders(loaders: Loaders): void {
  for (const value of Object.values(loaders)) {
    if (value instanceof DataLoader) value.clearAll();
  }
}
