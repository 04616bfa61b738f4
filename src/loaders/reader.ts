// Cached reads of billwerk entities shared by every request: single entities by id through the shared
// cache, the catalogue whole (it is small: one productInfo call beats one call per variant or list).
import { type BillwerkClient } from '../billwerk/client.js';
import type {
  Component,
  Contract,
  ContractChange,
  Coupon,
  Customer,
  Discount,
  Invoice,
  Plan,
  PlanGroup,
  PlanVariant,
  ProductInfo,
} from '../billwerk/dto.js';
import { NotFoundError } from '../billwerk/errors.js';
import { parseBillwerkId, type BillwerkId } from '../billwerk/id.js';
import { type CatalogueKind, type EntityKind, type SharedCache } from './shared-cache.js';

export interface Catalogue {
  planGroups: PlanGroup[];
  plans: Plan[];
  planVariants: PlanVariant[];
  components: Component[];
  discounts: Discount[];
  coupons: Coupon[];
}

type CatalogueList = keyof Catalogue;

/**
 * Reads that return null for an id billwerk does not know. With `since` (a `cache.mark()`), the answer
 * comes from a read that started at or after that mark (see SharedCache.read).
 */
export interface BillwerkReader {
  customer(id: string, since?: number): Promise<Customer | null>;
  contract(id: string, since?: number): Promise<Contract | null>;
  invoice(id: string, since?: number): Promise<Invoice | null>;
  contractChange(id: string, since?: number): Promise<ContractChange | null>;
  catalogueList<K extends CatalogueList>(list: K): Promise<Catalogue[K]>;
  /** One catalogue entity: from the cached catalogue when it is there, else by id (it may be newer). */
  catalogueItem<K extends CatalogueList>(list: K, id: string): Promise<Catalogue[K][number] | null>;
  readonly client: BillwerkClient;
  readonly cache: SharedCache;
}

async function orNull<T>(load: Promise<T>): Promise<T | null> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/**
 * A read keyed by an id that becomes a billwerk path. Keys come from parsed arguments and from billwerk's own
 * answers; each is parsed once more where it meets a path, and a key that is no billwerk id names nothing.
 */
export function readById<T>(key: string, read: (id: BillwerkId) => Promise<T>, none: T): Promise<T> {
  const id = parseBillwerkId(key);
  return id === undefined ? Promise.resolve(none) : read(id);
}

/** A read by id, or null for an id billwerk does not know (or that is no billwerk id). */
const byId = <T>(id: string, read: (id: BillwerkId) => Promise<T>): Promise<T | null> =>
  readById(id, (key) => orNull(read(key)), null);

export function createReader(client: BillwerkClient, cache: SharedCache): BillwerkReader {
  const c = client.catalogue;
  /**
   * Each catalogue list: its entities' cache kind, where GET /productInfo has it, and the read of one item
   * by id. billwerk has no GET /coupons/{id}: a coupon missing from the list does not exist for us.
   */
  const lists: {
    [K in CatalogueList]: {
      kind: CatalogueKind;
      ofInfo: (info: ProductInfo) => Catalogue[K] | undefined;
      byId: (id: BillwerkId) => Promise<Catalogue[K][number]>;
    };
  } = {
    planGroups: { kind: 'PlanGroup', ofInfo: (i) => i.PlanGroups, byId: (id) => c.planGroup(id) },
    plans: { kind: 'Plan', ofInfo: (i) => i.Plans, byId: (id) => c.plan(id) },
    planVariants: { kind: 'PlanVariant', ofInfo: (i) => i.PlanVariants, byId: (id) => c.planVariant(id) },
    components: { kind: 'Component', ofInfo: (i) => i.Components, byId: (id) => c.component(id) },
    discounts: { kind: 'Discount', ofInfo: (i) => i.Discounts, byId: (id) => c.discount(id) },
    coupons: {
      kind: 'Coupon',
      ofInfo: (i) => i.Coupons,
      byId: (id) =>
        Promise.reject(new NotFoundError('no such coupon', { method: 'GET', path: `/coupons/${id}` })),
    },
  };
  // One GET /productInfo answers every catalogue list at once: a catalogue is small, and a query that
  // touches variants, plans and components then costs one call instead of one per list.
  const whole = (): Promise<Catalogue> =>
    cache.read('Catalogue', 'productInfo', async () => {
      const info = await c.productInfo();
      // `lists` has every key of Catalogue (its mapped type says so), hence the cast.
      return Object.fromEntries(
        Object.entries(lists).map(([list, { ofInfo }]) => [list, ofInfo(info) ?? []]),
      ) as unknown as Catalogue;
    });

  /** A read by id through the cache; billwerk's 404 is null, without an error built for it. */
  const entity =
    <T extends object>(kind: EntityKind, find: (id: BillwerkId) => Promise<T | null>) =>
    (id: string, since?: number): Promise<T | null> =>
      readById(id, (key) => cache.read(kind, key, () => find(key), since), null);

  const catalogueList = async <K extends CatalogueList>(list: K): Promise<Catalogue[K]> =>
    (await whole())[list];

  return {
    client,
    cache,
    customer: entity('Customer', (id) => client.customers.find(id)),
    contract: entity('Contract', (id) => client.contracts.find(id)),
    invoice: entity('Invoice', (id) => client.invoices.find(id)),
    contractChange: entity('ContractChange', (id) => client.contractChanges.find(id)),
    catalogueList,
    async catalogueItem<K extends CatalogueList>(list: K, id: string): Promise<Catalogue[K][number] | null> {
      const all = (await catalogueList(list)) as Catalogue[K][number][];
      const listed = all.find((item) => item.Id === id);
      if (listed) return listed;
      return byId(id, (key) => cache.read(lists[list].kind, key, () => lists[list].byId(key)));
    },
  };
}
