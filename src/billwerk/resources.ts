// billwerk's REST resources as typed methods (paths from ../shared/billwerk/resources.md), built on the
// client's generic request/listPage/paginate core. No HTTP, retry or auth logic lives here.
import type {
  CancellationPreview,
  Component,
  ComponentSubscription,
  ComponentSubscriptionInput,
  Contract,
  ContractChange,
  ContractPatch,
  ContractSubscriptions,
  Coupon,
  Customer,
  CustomerInput,
  Discount,
  DiscountSubscription,
  Id,
  Invoice,
  IsoDate,
  MeteredUsage,
  MeteredUsageInput,
  Order,
  OrderCommitInput,
  OrderInput,
  OrderPreview,
  Plan,
  PlanGroup,
  PlanVariant,
  ProductInfo,
  WebhookAuth,
  WebhookRegistration,
  WebhookRegistrationInput,
} from './dto.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './paging.js';
import type { Query } from './transport.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Whether a replay after a timeout, network error or 5xx is harmless.
   * @default true for GET/PUT/DELETE, false for POST/PATCH
   */
  idempotent?: boolean;
  signal?: AbortSignal;
}

/** One page: `take` items after the item with Id `from` (exclusive; see paging.ts). */
export interface PageRequest {
  take: number;
  from?: string;
}

/** The generic calls every resource method is made of. */
export interface BillwerkCore {
  /** One call to `{baseUrl}/api/v1{path}`; resolves to the parsed JSON, or undefined for an empty body. */
  request<T>(method: HttpMethod, path: string, opts?: RequestOptions): Promise<T>;
  /** All pages of a list, fetched lazily one page per iteration. */
  paginate<T extends { Id: string }>(
    path: string,
    query?: Query,
    opts?: { pageSize?: number },
  ): AsyncGenerator<T[]>;
  /** One page of a list; `from` names the last item the caller already has. */
  listPage<T extends { Id: string }>(path: string, query: Query | undefined, page: PageRequest): Promise<T[]>;
}

/** Paging fields shared by the list methods: `take` defaults to DEFAULT_PAGE_SIZE. */
export interface ListQuery {
  take?: number;
  from?: Id;
}

export interface BillwerkResources {
  customers: {
    get(id: Id): Promise<Customer>;
    list(q?: ListQuery & { search?: string; externalId?: string }): Promise<Customer[]>;
    create(input: CustomerInput): Promise<Customer>;
    /** PATCH merges; with `ifMatch` (an ETag) billwerk answers 412 → ConflictError when stale. */
    patch(id: Id, patch: CustomerInput, ifMatch?: string): Promise<Customer>;
    contracts(id: Id): Promise<Contract[]>;
  };
  contracts: {
    get(id: Id): Promise<Contract>;
    list(q?: ListQuery & { externalId?: string }): Promise<Contract[]>;
    patch(id: Id, patch: ContractPatch, ifMatch?: string): Promise<Contract>;
    /** The earliest regular end if cancelled at `at` (default now); the query name is [inferred]. */
    cancellationPreview(id: Id, at?: IsoDate): Promise<CancellationPreview>;
    end(id: Id, endDate: IsoDate): Promise<CancellationPreview>;
    /** Ends the contract at its own start, as if it never ran; answers the Contract. */
    annulate(id: Id): Promise<Contract>;
    subscriptions(id: Id): Promise<ContractSubscriptions>;
    componentSubscriptions(id: Id): Promise<ComponentSubscription[]>;
    addComponentSubscription(id: Id, input: ComponentSubscriptionInput): Promise<ComponentSubscription>;
    discountSubscriptions(id: Id): Promise<DiscountSubscription[]>;
    usage(id: Id, range?: { from?: IsoDate; until?: IsoDate }): Promise<MeteredUsage[]>;
    reportUsage(id: Id, input: MeteredUsageInput): Promise<MeteredUsage>;
    deleteUsage(id: Id, usageId: Id): Promise<void>;
  };
  componentSubscriptions: {
    end(id: Id, endDate: IsoDate): Promise<ComponentSubscription>;
  };
  contractChanges: {
    get(id: Id): Promise<ContractChange>;
    /**
     * A contract's changes, newest first; without `contractId`, every contract's (what reconciliation
     * walks; documented only with `contractId`, the unfiltered list is [inferred]).
     */
    list(q: ListQuery & { contractId?: Id; includeContract?: boolean }): Promise<ContractChange[]>;
  };
  orders: {
    /** Prices an order; nothing is stored. */
    preview(input: OrderInput): Promise<OrderPreview>;
    create(input: OrderInput): Promise<Order>;
    get(id: Id): Promise<Order>;
    /** `{}` reuses the payment data on file; answers the Contract. */
    commit(id: Id, body?: OrderCommitInput): Promise<Contract>;
  };
  /** Catalogue lists are small and wanted whole, so these walk every page. */
  catalogue: {
    productInfo(): Promise<ProductInfo>;
    planGroups(): Promise<PlanGroup[]>;
    planGroup(id: Id): Promise<PlanGroup>;
    plans(q?: { planGroupId?: Id }): Promise<Plan[]>;
    plan(id: Id): Promise<Plan>;
    planVariants(q?: { planId?: Id }): Promise<PlanVariant[]>;
    planVariant(id: Id): Promise<PlanVariant>;
    components(): Promise<Component[]>;
    component(id: Id): Promise<Component>;
    discounts(): Promise<Discount[]>;
    discount(id: Id): Promise<Discount>;
    coupons(): Promise<Coupon[]>;
  };
  invoices: {
    get(id: Id): Promise<Invoice>;
    list(q?: ListQuery & { customerId?: Id; contractId?: Id }): Promise<Invoice[]>;
  };
  webhooks: {
    list(): Promise<WebhookRegistration[]>;
    register(input: WebhookRegistrationInput & { Auth?: WebhookAuth }): Promise<WebhookRegistration>;
    delete(id: Id): Promise<void>;
  };
}

/** Catalogue walks use the largest page, so a typical catalogue takes one call. */
const CATALOGUE_PAGE_SIZE = MAX_PAGE_SIZE;

/** Ids go into paths escaped, so a hostile id cannot reach another endpoint. */
const seg = (id: string) => encodeURIComponent(id);

const ifMatchHeader = (ifMatch: string | undefined): Record<string, string> =>
  ifMatch === undefined ? {} : { 'If-Match': ifMatch };

export function createResources(core: BillwerkCore): BillwerkResources {
  const get = <T>(path: string, query?: Query) => core.request<T>('GET', path, { query });
  const post = <T>(path: string, body?: unknown) => core.request<T>('POST', path, { body });
  const page = <T extends { Id: string }>(path: string, q: ListQuery | undefined, filters: Query) =>
    core.listPage<T>(path, filters, { take: q?.take ?? DEFAULT_PAGE_SIZE, from: q?.from });
  const all = async <T extends { Id: string }>(path: string, query?: Query): Promise<T[]> => {
    const items: T[] = [];
    for await (const chunk of core.paginate<T>(path, query, { pageSize: CATALOGUE_PAGE_SIZE })) {
      items.push(...chunk);
    }
    return items;
  };

  return {
    customers: {
      get: (id) => get(`/customers/${seg(id)}`),
      list: (q) => page('/customers', q, { search: q?.search, externalId: q?.externalId }),
      create: (input) => post('/customers', input),
      patch: (id, patch, ifMatch) =>
        core.request('PATCH', `/customers/${seg(id)}`, { body: patch, headers: ifMatchHeader(ifMatch) }),
      contracts: (id) => get(`/customers/${seg(id)}/contracts`),
    },
    contracts: {
      get: (id) => get(`/contracts/${seg(id)}`),
      list: (q) => page('/contracts', q, { externalId: q?.externalId }),
      patch: (id, patch, ifMatch) =>
        core.request('PATCH', `/contracts/${seg(id)}`, { body: patch, headers: ifMatchHeader(ifMatch) }),
      cancellationPreview: (id, at) =>
        get(`/contracts/${seg(id)}/cancellationPreview`, { cancellationTime: at }),
      end: (id, endDate) => post(`/contracts/${seg(id)}/end`, { EndDate: endDate }),
      annulate: (id) => post(`/contracts/${seg(id)}/annulate`),
      subscriptions: (id) => get(`/contracts/${seg(id)}/subscriptions`),
      componentSubscriptions: (id) => get(`/contracts/${seg(id)}/componentsubscriptions`),
      addComponentSubscription: (id, input) => post(`/contracts/${seg(id)}/componentsubscriptions`, input),
      discountSubscriptions: (id) => get(`/contracts/${seg(id)}/discountsubscriptions`),
      usage: (id, range) =>
        get(`/contracts/${seg(id)}/usage`, { fromDateTime: range?.from, untilDateTime: range?.until }),
      reportUsage: (id, input) => post(`/contracts/${seg(id)}/usage`, input),
      deleteUsage: (id, usageId) => core.request('DELETE', `/contracts/${seg(id)}/usage/${seg(usageId)}`),
    },
    componentSubscriptions: {
      end: (id, endDate) =>
        core.request('PUT', `/componentsubscriptions/${seg(id)}`, { body: { Id: id, EndDate: endDate } }),
    },
    contractChanges: {
      get: (id) => get(`/contractChanges/${seg(id)}`),
      list: (q) =>
        page('/contractChanges', q, { contractId: q.contractId, includeContract: q.includeContract }),
    },
    orders: {
      preview: (input) => post('/orders/preview', input),
      create: (input) => post('/orders', input),
      get: (id) => get(`/orders/${seg(id)}`),
      commit: (id, body = {}) => post(`/orders/${seg(id)}/commit`, body),
    },
    catalogue: {
      productInfo: () => get('/productInfo'),
      planGroups: () => all('/planGroups'),
      planGroup: (id) => get(`/planGroups/${seg(id)}`),
      plans: (q) => all('/plans', { planGroupId: q?.planGroupId }),
      plan: (id) => get(`/plans/${seg(id)}`),
      planVariants: (q) => all('/planVariants', { planId: q?.planId }),
      planVariant: (id) => get(`/planVariants/${seg(id)}`),
      components: () => all('/components'),
      component: (id) => get(`/components/${seg(id)}`),
      discounts: () => all('/discounts'),
      discount: (id) => get(`/discounts/${seg(id)}`),
      coupons: () => all('/coupons'),
    },
    invoices: {
      get: (id) => get(`/invoices/${seg(id)}`),
      list: (q) => page('/invoices', q, { customerId: q?.customerId, contractId: q?.contractId }),
    },
    webhooks: {
      list: () => get('/webhooks'),
      register: (input) => post('/webhooks', input),
      delete: (id) => core.request('DELETE', `/webhooks/${seg(id)}`),
    },
  };
}
