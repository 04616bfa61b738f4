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
import type { BillwerkId } from './id.js';
import { api, type ApiRoute } from './route.js';
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
  /**
   * Resolve to null when billwerk answers 404, instead of rejecting with NotFoundError: for reads where a
   * missing entity is an answer, not a failure (enrichment of a notice about a deleted entity, a query
   * for an unknown id). No error is built for it, so it costs no stack trace and no redaction.
   * @default false
   */
  nullIfMissing?: boolean;
}

/** One page: `take` items after the item with Id `from` (exclusive; see paging.ts). */
export interface PageRequest {
  take: number;
  from?: BillwerkId;
}

/** The generic calls every resource method is made of. */
export interface BillwerkCore {
  /**
   * One call to `{baseUrl}/api/v1{route.path}`; resolves to the parsed JSON, undefined for an empty body, or
   * null for a 404 when `opts.nullIfMissing` is set (T then includes null).
   */
  request<T>(method: HttpMethod, route: ApiRoute, opts?: RequestOptions): Promise<T>;
  /** All pages of a list, fetched lazily one page per iteration. */
  paginate<T extends { Id: string }>(
    route: ApiRoute,
    query?: Query,
    opts?: { pageSize?: number },
  ): AsyncGenerator<T[]>;
  /** One page of a list; `from` names the last item the caller already has. */
  listPage<T extends { Id: string }>(
    route: ApiRoute,
    query: Query | undefined,
    page: PageRequest,
  ): Promise<T[]>;
}

/** Paging fields shared by the list methods: `take` defaults to DEFAULT_PAGE_SIZE. */
export interface ListQuery {
  take?: number;
  from?: BillwerkId;
}

export interface BillwerkResources {
  customers: {
    get(id: BillwerkId): Promise<Customer>;
    /** Like `get`, but null for an id billwerk does not know. */
    find(id: BillwerkId): Promise<Customer | null>;
    list(q?: ListQuery & { search?: string; externalId?: string }): Promise<Customer[]>;
    create(input: CustomerInput): Promise<Customer>;
    /** PATCH merges; with `ifMatch` (an ETag) billwerk answers 412 → ConflictError when stale. */
    patch(id: BillwerkId, patch: CustomerInput, ifMatch?: string): Promise<Customer>;
    /** Every contract of the customer, or one page of them with `q`. */
    contracts(id: BillwerkId, q?: ListQuery): Promise<Contract[]>;
  };
  contracts: {
    get(id: BillwerkId): Promise<Contract>;
    /** Like `get`, but null for an id billwerk does not know. */
    find(id: BillwerkId): Promise<Contract | null>;
    list(q?: ListQuery & { externalId?: string }): Promise<Contract[]>;
    patch(id: BillwerkId, patch: ContractPatch, ifMatch?: string): Promise<Contract>;
    /** The earliest regular end if cancelled at `at` (default now); the query name is [inferred]. */
    cancellationPreview(id: BillwerkId, at?: IsoDate): Promise<CancellationPreview>;
    end(id: BillwerkId, endDate: IsoDate): Promise<CancellationPreview>;
    /** Ends the contract at its own start, as if it never ran; answers the Contract. */
    annulate(id: BillwerkId): Promise<Contract>;
    subscriptions(id: BillwerkId): Promise<ContractSubscriptions>;
    componentSubscriptions(id: BillwerkId): Promise<ComponentSubscription[]>;
    addComponentSubscription(
      id: BillwerkId,
      input: ComponentSubscriptionInput,
    ): Promise<ComponentSubscription>;
    discountSubscriptions(id: BillwerkId): Promise<DiscountSubscription[]>;
    usage(id: BillwerkId, range?: { from?: IsoDate; until?: IsoDate }): Promise<MeteredUsage[]>;
    reportUsage(id: BillwerkId, input: MeteredUsageInput): Promise<MeteredUsage>;
    deleteUsage(id: BillwerkId, usageId: BillwerkId): Promise<void>;
  };
  componentSubscriptions: {
    end(id: BillwerkId, endDate: IsoDate): Promise<ComponentSubscription>;
  };
  contractChanges: {
    get(id: BillwerkId): Promise<ContractChange>;
    /** Like `get`, but null for an id billwerk does not know. */
    find(id: BillwerkId): Promise<ContractChange | null>;
    /**
     * A contract's changes, newest first; without `contractId`, every contract's (what reconciliation
     * walks; documented only with `contractId`, the unfiltered list is [inferred]).
     */
    list(q: ListQuery & { contractId?: BillwerkId; includeContract?: boolean }): Promise<ContractChange[]>;
  };
  orders: {
    /** Prices an order; nothing is stored. */
    preview(input: OrderInput): Promise<OrderPreview>;
    create(input: OrderInput): Promise<Order>;
    get(id: BillwerkId): Promise<Order>;
    /** `{}` reuses the payment data on file; answers the Contract. */
    commit(id: BillwerkId, body?: OrderCommitInput): Promise<Contract>;
  };
  /** Catalogue lists are small and wanted whole, so these walk every page. */
  catalogue: {
    productInfo(): Promise<ProductInfo>;
    planGroups(): Promise<PlanGroup[]>;
    planGroup(id: BillwerkId): Promise<PlanGroup>;
    plans(q?: { planGroupId?: BillwerkId }): Promise<Plan[]>;
    plan(id: BillwerkId): Promise<Plan>;
    planVariants(q?: { planId?: BillwerkId }): Promise<PlanVariant[]>;
    planVariant(id: BillwerkId): Promise<PlanVariant>;
    components(): Promise<Component[]>;
    component(id: BillwerkId): Promise<Component>;
    discounts(): Promise<Discount[]>;
    discount(id: BillwerkId): Promise<Discount>;
    coupons(): Promise<Coupon[]>;
  };
  invoices: {
    get(id: BillwerkId): Promise<Invoice>;
    /** Like `get`, but null for an id billwerk does not know. */
    find(id: BillwerkId): Promise<Invoice | null>;
    list(q?: ListQuery & { customerId?: BillwerkId; contractId?: BillwerkId }): Promise<Invoice[]>;
  };
  webhooks: {
    list(): Promise<WebhookRegistration[]>;
    register(input: WebhookRegistrationInput & { Auth?: WebhookAuth }): Promise<WebhookRegistration>;
    delete(id: BillwerkId): Promise<void>;
  };
}

/** Catalogue walks use the largest page, so a typical catalogue takes one call. */
const CATALOGUE_PAGE_SIZE = MAX_PAGE_SIZE;

const ifMatchHeader = (ifMatch: string | undefined): Record<string, string> =>
  ifMatch === undefined ? {} : { 'If-Match': ifMatch };

/** Options of a GET whose 404 means "no such entity" (shared, never written). */
const NULL_IF_MISSING: RequestOptions = Object.freeze({ nullIfMissing: true });

/** The shapes resource methods come in: a GET, a GET of what may not exist, a POST, a page, a whole list. */
function callShapes(core: BillwerkCore) {
  return {
    get: <T>(route: ApiRoute, query?: Query) => core.request<T>('GET', route, { query }),
    find: <T>(route: ApiRoute) => core.request<T | null>('GET', route, NULL_IF_MISSING),
    post: <T>(route: ApiRoute, body?: unknown) => core.request<T>('POST', route, { body }),
    page: <T extends { Id: string }>(route: ApiRoute, q: ListQuery | undefined, filters: Query) =>
      core.listPage<T>(route, filters, { take: q?.take ?? DEFAULT_PAGE_SIZE, from: q?.from }),
    all: async <T extends { Id: string }>(route: ApiRoute, query?: Query): Promise<T[]> => {
      const items: T[] = [];
      for await (const chunk of core.paginate<T>(route, query, { pageSize: CATALOGUE_PAGE_SIZE })) {
        items.push(...chunk);
      }
      return items;
    },
  };
}

export function createResources(core: BillwerkCore): BillwerkResources {
  const { get, find, post, page, all } = callShapes(core);
  return {
    customers: {
      get: (id) => get(api`/customers/${id}`),
      find: (id) => find(api`/customers/${id}`),
      list: (q) => page(api`/customers`, q, { search: q?.search, externalId: q?.externalId }),
      create: (input) => post(api`/customers`, input),
      patch: (id, patch, ifMatch) =>
        core.request('PATCH', api`/customers/${id}`, { body: patch, headers: ifMatchHeader(ifMatch) }),
      contracts: (id, q) =>
        q === undefined ? get(api`/customers/${id}/contracts`) : page(api`/customers/${id}/contracts`, q, {}),
    },
    contracts: {
      get: (id) => get(api`/contracts/${id}`),
      find: (id) => find(api`/contracts/${id}`),
      list: (q) => page(api`/contracts`, q, { externalId: q?.externalId }),
      patch: (id, patch, ifMatch) =>
        core.request('PATCH', api`/contracts/${id}`, { body: patch, headers: ifMatchHeader(ifMatch) }),
      cancellationPreview: (id, at) =>
        get(api`/contracts/${id}/cancellationPreview`, { cancellationTime: at }),
      end: (id, endDate) => post(api`/contracts/${id}/end`, { EndDate: endDate }),
      annulate: (id) => post(api`/contracts/${id}/annulate`),
      subscriptions: (id) => get(api`/contracts/${id}/subscriptions`),
      componentSubscriptions: (id) => get(api`/contracts/${id}/componentsubscriptions`),
      addComponentSubscription: (id, input) => post(api`/contracts/${id}/componentsubscriptions`, input),
      discountSubscriptions: (id) => get(api`/contracts/${id}/discountsubscriptions`),
      usage: (id, range) =>
        get(api`/contracts/${id}/usage`, { fromDateTime: range?.from, untilDateTime: range?.until }),
      reportUsage: (id, input) => post(api`/contracts/${id}/usage`, input),
      deleteUsage: (id, usageId) => core.request('DELETE', api`/contracts/${id}/usage/${usageId}`),
    },
    componentSubscriptions: {
      end: (id, endDate) =>
        core.request('PUT', api`/componentsubscriptions/${id}`, { body: { Id: id, EndDate: endDate } }),
    },
    contractChanges: {
      get: (id) => get(api`/contractChanges/${id}`),
      find: (id) => find(api`/contractChanges/${id}`),
      list: (q) =>
        page(api`/contractChanges`, q, { contractId: q.contractId, includeContract: q.includeContract }),
    },
    orders: {
      preview: (input) => post(api`/orders/preview`, input),
      create: (input) => post(api`/orders`, input),
      get: (id) => get(api`/orders/${id}`),
      commit: (id, body = {}) => post(api`/orders/${id}/commit`, body),
    },
    catalogue: {
      productInfo: () => get(api`/productInfo`),
      planGroups: () => all(api`/planGroups`),
      planGroup: (id) => get(api`/planGroups/${id}`),
      plans: (q) => all(api`/plans`, { planGroupId: q?.planGroupId }),
      plan: (id) => get(api`/plans/${id}`),
      planVariants: (q) => all(api`/planVariants`, { planId: q?.planId }),
      planVariant: (id) => get(api`/planVariants/${id}`),
      components: () => all(api`/components`),
      component: (id) => get(api`/components/${id}`),
      discounts: () => all(api`/discounts`),
      discount: (id) => get(api`/discounts/${id}`),
      coupons: () => all(api`/coupons`),
    },
    invoices: {
      get: (id) => get(api`/invoices/${id}`),
      find: (id) => find(api`/invoices/${id}`),
      list: (q) => page(api`/invoices`, q, { customerId: q?.customerId, contractId: q?.contractId }),
    },
    webhooks: {
      list: () => get(api`/webhooks`),
      register: (input) => post(api`/webhooks`, input),
      delete: (id) => core.request('DELETE', api`/webhooks/${id}`),
    },
  };
}
