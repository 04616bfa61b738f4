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
import { hasRole, type Principal, type Scope } from './principal.js';

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

/**
 * One principal's scope with what checking it needs, made once per request: every check below reads it.
 * The two `keep` predicates live here so that each list hands out the same function.
 */
interface ScopeView {
  readonly scope: Scope;
  readonly partners: PartnerStore;
  readonly loaders: AccessOptions['loaders'];
  readonly pages: Pages;
  /** A partner's external-id rule: customers whose ExternalCustomerId starts with it are in scope too. */
  readonly prefix: string | undefined;
  /** Whether a customer as billwerk answered it is in scope (no loading). */
  readonly dtoVisible: (dto: Pick<Customer, 'Id' | 'ExternalCustomerId'>) => boolean;
  /** Whether the customer owning an entity is in scope. */
  readonly ownerVisible: (dto: { CustomerId: string }) => Promise<boolean>;
}

function scopeView(options: AccessOptions): ScopeView {
  const { partners, loaders, pages } = options;
  const scope = options.principal.scope;
  const prefix = scope.kind === 'partner' ? scope.externalIdPrefix : undefined;
  const view: ScopeView = {
    scope,
    partners,
    loaders,
    pages,
    prefix,
    dtoVisible: (dto) =>
      listed(view, dto.Id) || (prefix !== undefined && (dto.ExternalCustomerId ?? '').startsWith(prefix)),
    ownerVisible: (dto) => customerVisible(view, dto.CustomerId),
  };
  return view;
}

/** Membership without loading anything: configured ids, signed-up ids, own id. */
function listed({ scope, partners }: ScopeView, customerId: string): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'customer':
      return scope.customerId === customerId;
    case 'partner':
      return (
        (scope.customers as ReadonlySet<string>).has(customerId) || partners.has(scope.partnerId, customerId)
      );
  }
}

async function customerVisible(view: ScopeView, customerId: string): Promise<boolean> {
  if (listed(view, customerId)) return true;
  if (view.prefix === undefined) return false;
  const dto = await view.loaders.customer.load(customerId);
  return dto !== null && view.dtoVisible(dto);
}

/** The ids a scope names outright, when that is the whole scope (no external-id rule). */
function listedIds({ scope, partners, prefix }: ScopeView): readonly BillwerkId[] | undefined {
  if (scope.kind === 'customer') return [scope.customerId];
  if (scope.kind === 'partner' && prefix === undefined) {
    return [...new Set([...scope.customers, ...partners.customersOf(scope.partnerId)])];
  }
  return undefined;
}

function customerList(view: ScopeView, search: string | undefined): ScopedList<Customer> {
  const { scope, pages, loaders } = view;
  if (scope.kind === 'all') return { source: pages.customers({ search }) };
  if (scope.kind === 'none') return { source: EMPTY };
  const ids = listedIds(view);
  // A search goes to billwerk and is narrowed here; a plain list of ids is read id by id.
  if (ids && search === undefined) {
    return { source: byIds(ids, (id) => loaders.customer.load(id)) };
  }
  return { source: pages.customers({ search }), keep: view.dtoVisible };
}

function contractList(view: ScopeView, customerId: BillwerkId | undefined): ScopedList<Contract> {
  const { scope, pages, ownerVisible } = view;
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
}

async function invoiceList(
  view: ScopeView,
  filter: { customerId?: BillwerkId; contractId?: BillwerkId },
): Promise<ScopedList<Invoice>> {
  const { scope, pages, ownerVisible } = view;
  if (scope.kind === 'all') return { source: pages.invoices(filter) };
  if (scope.kind === 'none') return { source: EMPTY };
  if (filter.contractId !== undefined) {
    const contract = await view.loaders.contract.load(filter.contractId);
    if (!contract || !(await customerVisible(view, contract.CustomerId))) return { source: EMPTY };
  }
  if (filter.customerId === undefined && scope.kind === 'customer') {
    return { source: pages.invoices({ ...filter, customerId: scope.customerId }), keep: ownerVisible };
  }
  return { source: pages.invoices(filter), keep: ownerVisible };
}

function eventVisible(view: ScopeView, event: StoredEvent): boolean {
  if (view.scope.kind === 'all') return true;
  const customerId = customerIdOf(event);
  if (customerId === undefined) return false;
  if (listed(view, customerId)) return true;
  const externalId = externalIdOf(event);
  return view.prefix !== undefined && externalId !== undefined && externalId.startsWith(view.prefix);
}

export function createAccess(options: AccessOptions): Access {
  const { principal } = options;
  const scope = principal.scope;
  const view = scopeView(options);
  return {
    principal,
    scoped: scope.kind !== 'all',
    customerVisible: (customerId) => customerVisible(view, customerId),
    async assertOwner(customerId, type, id) {
      if (!(await customerVisible(view, customerId))) throw new OutOfScopeError(type, id);
    },
    assertMayMutate(mutation) {
      if (scope.kind === 'none') throw new AuthenticationError(`${mutation} needs an authenticated caller.`);
      if (hasRole(principal, 'admin') || hasRole(principal, 'partner')) return;
      if (hasRole(principal, 'customer') && options.customerMutations.has(mutation)) return;
      throw new ForbiddenError(`${mutation} is not allowed to this caller's role.`);
    },
    customers: (search) => customerList(view, search),
    contracts: (customerId) => contractList(view, customerId),
    invoices: (filter) => invoiceList(view, filter),
    eventVisible: (event) => eventVisible(view, event),
    async recordSignup(customerId) {
      if (scope.kind === 'partner') await view.partners.add(scope.partnerId, customerId);
    },
  };
}
