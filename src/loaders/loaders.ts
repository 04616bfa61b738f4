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
import { answeredId, type BillwerkId } from '../billwerk/id.js';
import { api } from '../billwerk/route.js';
import { readById, type BillwerkReader, type Catalogue } from './reader.js';

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

/** A loader whose key becomes a billwerk path (see readById); a key that is no billwerk id gives `none`. */
function perId<V>(load: (id: BillwerkId) => Promise<V>, none: V): DataLoader<string, V> {
  return perKey((key) => readById(key, load, none));
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
  /** Empties this request's per-request caches (the shared cache is left alone). */
  clearAll(): void;
}

/** Key of the cancellation preview loader: the contract and the moment of cancellation (empty = now). */
export const cancellationKey = (contractId: string, at: string | undefined) => `${contractId}@${at ?? ''}`;

/**
 * Each DataLoader is created on first use: a request or subscription asks for a few entity kinds, and a
 * subscription holds its context for as long as it is open, so unused loaders would be memory per socket.
 */
class RequestLoaders implements Loaders {
  readonly #reader: BillwerkReader;
  #customer?: DataLoader<string, Customer | null>;
  #contract?: DataLoader<string, Contract | null>;
  #invoice?: DataLoader<string, Invoice | null>;
  #contractChange?: DataLoader<string, ContractChange | null>;
  #planGroup?: DataLoader<string, PlanGroup | null>;
  #plan?: DataLoader<string, Plan | null>;
  #planVariant?: DataLoader<string, PlanVariant | null>;
  #component?: DataLoader<string, Component | null>;
  #discount?: DataLoader<string, Discount | null>;
  #coupon?: DataLoader<string, Coupon | null>;
  #contractsOfCustomer?: DataLoader<string, Contract[]>;
  #componentSubscriptionsOfContract?: DataLoader<string, ComponentSubscription[]>;
  #discountSubscriptionsOfContract?: DataLoader<string, DiscountSubscription[]>;
  #changesOfContract?: DataLoader<string, ContractChange[]>;
  #usageOfContract?: DataLoader<string, MeteredUsage[]>;
  #cancellationPreview?: DataLoader<string, CancellationPreview>;

  constructor(reader: BillwerkReader) {
    this.#reader = reader;
  }

  catalogue<K extends keyof Catalogue>(list: K): Promise<Catalogue[K]> {
    return this.#reader.catalogueList(list);
  }
  get customer() {
    return (this.#customer ??= perKey((id) => this.#reader.customer(id)));
  }
  get contract() {
    return (this.#contract ??= perKey((id) => this.#reader.contract(id)));
  }
  get invoice() {
    return (this.#invoice ??= perKey((id) => this.#reader.invoice(id)));
  }
  get contractChange() {
    return (this.#contractChange ??= perKey((id) => this.#reader.contractChange(id)));
  }
  get planGroup() {
    return (this.#planGroup ??= perKey((id) => this.#reader.catalogueItem('planGroups', id)));
  }
  get plan() {
    return (this.#plan ??= perKey((id) => this.#reader.catalogueItem('plans', id)));
  }
  get planVariant() {
    return (this.#planVariant ??= perKey((id) => this.#reader.catalogueItem('planVariants', id)));
  }
  get component() {
    return (this.#component ??= perKey((id) => this.#reader.catalogueItem('components', id)));
  }
  get discount() {
    return (this.#discount ??= perKey((id) => this.#reader.catalogueItem('discounts', id)));
  }
  get coupon() {
    return (this.#coupon ??= perKey((id) => this.#reader.catalogueItem('coupons', id)));
  }
  get contractsOfCustomer() {
    const { client, cache } = this.#reader;
    return (this.#contractsOfCustomer ??= perId(async (customerId) => {
      const contracts = await cache.shareInFlight(`contractsOfCustomer:${customerId}`, () =>
        client.customers.contracts(customerId),
      );
      for (const contract of contracts) this.#primeContract(contract);
      return contracts;
    }, []));
  }
  get componentSubscriptionsOfContract() {
    const { client, cache } = this.#reader;
    return (this.#componentSubscriptionsOfContract ??= perId(
      (id) =>
        cache.shareInFlight(`componentSubscriptions:${id}`, () =>
          client.contracts.componentSubscriptions(id),
        ),
      [],
    ));
  }
  get discountSubscriptionsOfContract() {
    const { client, cache } = this.#reader;
    return (this.#discountSubscriptionsOfContract ??= perId(
      (id) =>
        cache.shareInFlight(`discountSubscriptions:${id}`, () => client.contracts.discountSubscriptions(id)),
      [],
    ));
  }
  get changesOfContract() {
    const { client, cache } = this.#reader;
    return (this.#changesOfContract ??= perId(
      (id) =>
        cache.shareInFlight(`changes:${id}`, async () => {
          const changes: ContractChange[] = [];
          for await (const page of client.paginate<ContractChange>(api`/contractChanges`, {
            contractId: id,
          })) {
            changes.push(...page);
          }
          return changes;
        }),
      [],
    ));
  }
  get usageOfContract() {
    const { client, cache } = this.#reader;
    return (this.#usageOfContract ??= perId(
      (id) => cache.shareInFlight(`usage:${id}`, () => client.contracts.usage(id)),
      [],
    ));
  }
  get cancellationPreview() {
    const { client, cache } = this.#reader;
    return (this.#cancellationPreview ??= perKey((key) => {
      const [contractId = '', at = ''] = key.split('@');
      return cache.shareInFlight(`cancellationPreview:${key}`, () =>
        client.contracts.cancellationPreview(answeredId(contractId, 'Contract.Id'), at || undefined),
      );
    }));
  }

  forget(kind: 'Contract' | 'Customer', id: string): void {
    // Only loaders already created can hold the entity.
    if (kind === 'Customer') {
      this.#customer?.clear(id);
      this.#contractsOfCustomer?.clear(id);
    } else {
      this.#contract?.clear(id);
      this.#componentSubscriptionsOfContract?.clear(id);
      this.#discountSubscriptionsOfContract?.clear(id);
      this.#changesOfContract?.clear(id);
      this.#usageOfContract?.clear(id);
      // Keyed by contract and moment; few per request, so dropping all is simpler than matching keys.
      this.#cancellationPreview?.clearAll();
    }
    this.#reader.cache.invalidate(kind, id);
  }

  clearAll(): void {
    for (const loader of [
      this.#customer,
      this.#contract,
      this.#invoice,
      this.#contractChange,
      this.#planGroup,
      this.#plan,
      this.#planVariant,
      this.#component,
      this.#discount,
      this.#coupon,
      this.#contractsOfCustomer,
      this.#componentSubscriptionsOfContract,
      this.#discountSubscriptionsOfContract,
      this.#changesOfContract,
      this.#usageOfContract,
      this.#cancellationPreview,
    ]) {
      loader?.clearAll();
    }
  }

  /** A contract read as part of a list is as fresh as one read by id: later lookups need no call. */
  #primeContract(contract: Contract): void {
    this.contract.prime(contract.Id, contract);
    this.#reader.cache.prime('Contract', contract.Id, contract);
  }
}

export function createLoaders(reader: BillwerkReader): Loaders {
  return new RequestLoaders(reader);
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
  loaders.clearAll();
}
