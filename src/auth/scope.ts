// The one place scope is enforced: which customers a principal may see, which mutations it may call, which
// events reach its subscriptions, and how the lists are narrowed to its customers. Resolvers and the
// subscription hub ask a request's `Access`; they never look at roles or scopes themselves.
import type { Contract, Customer, Invoice } from '../billwerk/dto.js';
import { type BillwerkId } from '../billwerk/id.js';
import { type StoredEvent } from '../events/event-log.js';
import { type Loaders } from '../loaders/loaders.js';
import { type PageSource, type Pages } from '../loaders/pages.js';
import { AuthenticationError, ForbiddenError, OutOfScopeError } from './errors.js';
import { type PartnerStore } from './partner-store.js';
import { hasRole, type Principal } from './principal.js';

/** A filtered walk over a billwerk list: the source and which of its items the caller may see. */
export interface ScopedList<D> {
  source: PageSource<D>;
  keep?: (dto: D) => boolean | Promise<boolean>;
}

export interface Access {
  readonly principal: Principal;
  /** Whether the caller may see this customer (loads it only for an external-id rule). */
  customerVisible(customerId: string): Promise<boolean>;
  /**
   * Throws OutOfScopeError (NOT_FOUND, worded as for a missing entity) unless the customer owning the
   * entity `type` `id` is visible.
   */
  assertOwner(customerId: string, type: string, id: string): Promise<void>;
  /** Throws unless the caller may call this mutation (role and CUSTOMER_MUTATIONS). */
  assertMayMutate(mutation: string): void;
  /** Whether missing and foreign entities must look the same to this caller (every scoped principal). */
  readonly scoped: boolean;
  /** The customers list narrowed to the caller. */
  customers(search: string | undefined): ScopedList<Customer>;
  /** The contracts list (optionally of one customer) narrowed to the caller. */
  contracts(customerId: BillwerkId | undefined): ScopedList<Contract>;
  /** The invoices list narrowed to the caller. */
  invoices(filter: { customerId?: BillwerkId; contractId?: BillwerkId }): Promise<ScopedList<Invoice>>;
  /** Synchronous check for event fan-out. */
  eventVisible(event: StoredEvent): boolean;
  /** A partner's signup: the new customer joins its scope (durably). */
  recordSignup(customerId: BillwerkId): Promise<void>;
}

export interface AccessOptions {
  principal: Principal;
  partners: PartnerStore;
  loaders: Pick<Loaders, 'customer' | 'contract'>;
  pages: Pages;
  /** CUSTOMER_MUTATIONS. */
  customerMutations: ReadonlySet<string>;
}

const EMPTY: PageSource<never> = () => Promise.resolve([]);

/** billwerk has no "these ids" filter: a list of ids becomes a page source reading each by id. */
function byIds<D extends { Id: string }>(
  ids: readonly BillwerkId[],
  load: (id: BillwerkId) => Promise<D | null>,
): PageSource<D> {
  return async (take, from) => {
    const start = from === undefined ? 0 : ids.indexOf(from) + 1;
    const loaded: (D | null)[] = await Promise.all(ids.slice(start, start + take).map(load));
    return loaded.filter((dto): dto is D => dto !== null);
  };
}

function externalIdOf(event: StoredEvent): string | undefined {
  return event.notice.externalCustomerId ?? event.enrichment?.customer?.ExternalCustomerId ?? undefined;
}

function customerIdOf(event: StoredEvent): string | undefined {
  const { contract, customer } = event.enrichment ?? {};
  return event.notice.customerId ?? contract?.CustomerId ?? customer?.Id;
}

export function createAccess(options: AccessOptions): Access {
  const { principal, partners, loaders, pages } = options;
  const scope = principal.scope;

  /** Membership without loading anything: configured ids, signed-up ids, own id. */
  const listed = (customerId: string): boolean => {
    switch (scope.kind) {
      case 'all':
        return true;
      case 'none':
        return false;
      case 'customer':
        return scope.customerId === customerId;
      case 'partner':
        return (
          (scope.customers as ReadonlySet<string>).has(customerId) ||
          partners.has(scope.partnerId, customerId)
        );
    }
  };
  const prefix = scope.kind === 'partner' ? scope.externalIdPrefix : undefined;
  const dtoVisible = (dto: Pick<Customer, 'Id' | 'ExternalCustomerId'>): boolean =>
    listed(dto.Id) || (prefix !== undefined && (dto.ExternalCustomerId ?? '').startsWith(prefix));

  async function customerVisible(customerId: string): Promise<boolean> {
    if (listed(customerId)) return true;
    if (prefix === undefined) return false;
    const dto = await loaders.customer.load(customerId);
    return dto !== null && dtoVisible(dto);
  }

  /** The ids a scope names outright, when that is the whole scope (no external-id rule). */
  const listedIds = (): readonly BillwerkId[] | undefined => {
    if (scope.kind === 'customer') return [scope.customerId];
    if (scope.kind === 'partner' && prefix === undefined) {
      return [...new Set([...scope.customers, ...partners.customersOf(scope.partnerId)])];
    }
    return undefined;
  };

  const ownerVisible = <D extends { CustomerId: string }>(dto: D) => customerVisible(dto.CustomerId);

  return {
    principal,
    scoped: scope.kind !== 'all',
    customerVisible,
    async assertOwner(customerId, type, id) {
      if (!(await customerVisible(customerId))) throw new OutOfScopeError(type, id);
    },
    assertMayMutate(mutation) {
      if (scope.kind === 'none') throw new AuthenticationError(`${mutation} needs an authenticated caller.`);
      if (hasRole(principal, 'admin') || hasRole(principal, 'partner')) return;
      if (hasRole(principal, 'customer') && options.customerMutations.has(mutation)) return;
      throw new ForbiddenError(`${mutation} is not allowed to this caller's role.`);
    },
    customers(search) {
      if (scope.kind === 'all') return { source: pages.customers({ search }) };
      if (scope.kind === 'none') return { source: EMPTY };
      const ids = listedIds();
      // A search goes to billwerk and is narrowed here; a plain list of ids is read id by id.
      if (ids && search === undefined) {
        return { source: byIds(ids, (id) => loaders.customer.load(id)) };
      }
      return { source: pages.customers({ search }), keep: dtoVisible };
    },
    contracts(customerId) {
      if (customerId !== undefined) {
        if (scope.kind === 'all') return { source: pages.contractsOfCustomer(customerId) };
        // A foreign customer's list is empty, exactly as that of a customer that does not exist.
        return { source: pages.contractsOfCustomer(customerId), keep: ownerVisible };
      }
      if (scope.kind === 'all') return { source: pages.contracts() };
      if (scope.kind === 'none') return { source: EMPTY };
      // A customer's own list is still checked item by item: what billwerk answers for a path is not
      // taken as proof of ownership.
      if (scope.kind === 'customer') {
        return { source: pages.contractsOfCustomer(scope.customerId), keep: ownerVisible };
      }
      return { source: pages.contracts(), keep: ownerVisible };
    },
    async invoices(filter) {
      if (scope.kind === 'all') return { source: pages.invoices(filter) };
      if (scope.kind === 'none') return { source: EMPTY };
      if (filter.contractId !== undefined) {
        const contract = await loaders.contract.load(filter.contractId);
        if (!contract || !(await customerVisible(contract.CustomerId))) return { source: EMPTY };
      }
      if (filter.customerId === undefined && scope.kind === 'customer') {
        return { source: pages.invoices({ ...filter, customerId: scope.customerId }), keep: ownerVisible };
      }
      return { source: pages.invoices(filter), keep: ownerVisible };
    },
    eventVisible(event) {
      if (scope.kind === 'all') return true;
      const customerId = customerIdOf(event);
      if (customerId === undefined) return false;
      if (listed(customerId)) return true;
      const externalId = externalIdOf(event);
      return prefix !== undefined && externalId !== undefined && externalId.startsWith(prefix);
    },
    async recordSignup(customerId) {
      if (scope.kind === 'partner') await partners.add(scope.partnerId, customerId);
    },
  };
}
