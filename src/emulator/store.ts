// The emulator's in-memory state: billwerk entities as DTOs, plus the bookkeeping the lifecycle needs.
// Plain data only (Maps of JSON objects), so a preview can run the real rules on a structuredClone.
import type {
  Component,
  ComponentSubscription,
  Contract,
  ContractChange,
  Coupon,
  Customer,
  Discount,
  DiscountSubscription,
  Id,
  Invoice,
  MeteredUsage,
  Order,
  OrderInput,
  Period,
  Plan,
  PlanGroup,
  PlanVariant,
  WebhookAuth,
  WebhookRegistration,
} from '../billwerk/dto.js';

/** A tax policy; billwerk configures these in the admin UI, the emulator only needs the rate. */
export interface TaxPolicy {
  Id: Id;
  Name: string;
  /** Percent, e.g. 19. */
  Rate: number;
}

export interface StoredOrder {
  order: Order;
  /** The normalised request, replayed at commit. */
  input: OrderInput;
}

export interface StoredWebhook extends WebhookRegistration {
  /** Emulator-only outgoing auth (billwerk sets this in its admin UI). */
  Auth?: WebhookAuth;
}

/** A recurring charge: a plan phase or a quantity component subscription. */
export interface BillingLine {
  key: string;
  contractId: Id;
  description: string;
  productId: Id;
  quantity: number;
  /** Price per fee period and unit. */
  fee: number;
  feePeriod: Period;
  /** Epoch ms the line starts and (if known) ends. */
  start: number;
  end?: number;
}

/** How far a line is billed; the line itself is kept so a removed phase can still be credited. */
export interface Coverage {
  line: BillingLine;
  until: number;
}

/** A recorded change that takes effect later (or now): applied when the clock reaches `at`. */
export interface PendingEffect {
  changeId: Id;
  contractId: Id;
  /** max(ChangeDate, recording time), epoch ms. */
  at: number;
  /** Recording order, to apply simultaneous effects in the order they were recorded. */
  seq: number;
  kind: 'order' | 'end' | 'component';
  /** order: the plan variant changes, so billing realigns at `at`. */
  planChange?: boolean;
  /**
   * order: it also starts or ends component subscriptions or adds discounts, so it still takes effect
   * (for those) when a later order replaces its plan change.
   */
  addons?: boolean;
  /** order: TriggerInterimBilling. */
  interim?: boolean;
  /** component: the subscription to bill at its start (empty BilledUntil = bill now). */
  billSubscriptionId?: Id;
}

export interface State {
  /** The account's fixed EntityId sent on every webhook (webhooks.md "Common fields"). */
  entityId: Id;
  customers: Map<Id, Customer>;
  contracts: Map<Id, Contract>;
  changes: Map<Id, ContractChange>;
  componentSubscriptions: Map<Id, ComponentSubscription>;
  discountSubscriptions: Map<Id, DiscountSubscription>;
  usages: Map<Id, MeteredUsage>;
  orders: Map<Id, StoredOrder>;
  invoices: Map<Id, Invoice>;
  webhooks: Map<Id, StoredWebhook>;
  planGroups: Map<Id, PlanGroup>;
  plans: Map<Id, Plan>;
  planVariants: Map<Id, PlanVariant>;
  components: Map<Id, Component>;
  discounts: Map<Id, Discount>;
  coupons: Map<Id, Coupon>;
  taxPolicies: Map<Id, TaxPolicy>;
  pending: Map<Id, PendingEffect>;
  /** Billing line key → how far that line is billed (see lifecycle/billing.ts). */
  coverage: Map<string, Coverage>;
  /** Contract id → instant of its last ContractChanged, for the one-per-instant rule. */
  lastChangedNotice: Map<Id, number>;
  seq: { invoice: number; debitor: number; effect: number };
}

export function createState(entityId: Id): State {
  return {
    entityId,
    customers: new Map(),
    contracts: new Map(),
    changes: new Map(),
    componentSubscriptions: new Map(),
    discountSubscriptions: new Map(),
    usages: new Map(),
    orders: new Map(),
    invoices: new Map(),
    webhooks: new Map(),
    planGroups: new Map(),
    plans: new Map(),
    planVariants: new Map(),
    components: new Map(),
    discounts: new Map(),
    coupons: new Map(),
    taxPolicies: new Map(),
    pending: new Map(),
    coverage: new Map(),
    lastChangedNotice: new Map(),
    seq: { invoice: 0, debitor: 0, effect: 0 },
  };
}

/** Read access for tests and tools; every read returns a copy, so callers cannot bypass the rules. */
export interface ReadonlyTable<T> {
  get(id: Id): T | undefined;
  list(): T[];
  readonly size: number;
}

export interface EmulatorStore {
  customers: ReadonlyTable<Customer>;
  contracts: ReadonlyTable<Contract>;
  contractChanges: ReadonlyTable<ContractChange>;
  componentSubscriptions: ReadonlyTable<ComponentSubscription>;
  discountSubscriptions: ReadonlyTable<DiscountSubscription>;
  meteredUsages: ReadonlyTable<MeteredUsage>;
  orders: ReadonlyTable<Order>;
  invoices: ReadonlyTable<Invoice>;
  webhooks: ReadonlyTable<WebhookRegistration>;
  planGroups: ReadonlyTable<PlanGroup>;
  plans: ReadonlyTable<Plan>;
  planVariants: ReadonlyTable<PlanVariant>;
  components: ReadonlyTable<Component>;
  discounts: ReadonlyTable<Discount>;
  coupons: ReadonlyTable<Coupon>;
}

function table<S, T>(map: Map<Id, S>, view: (stored: S) => T): ReadonlyTable<T> {
  return {
    get: (id) => {
      const found = map.get(id.toLowerCase());
      return found === undefined ? undefined : structuredClone(view(found));
    },
    list: () => [...map.values()].map((stored) => structuredClone(view(stored))),
    get size() {
      return map.size;
    },
  };
}

const same = <T>(value: T): T => value;

export function storeView(state: State): EmulatorStore {
  return {
    customers: table(state.customers, same),
    contracts: table(state.contracts, same),
    contractChanges: table(state.changes, same),
    componentSubscriptions: table(state.componentSubscriptions, same),
    discountSubscriptions: table(state.discountSubscriptions, same),
    meteredUsages: table(state.usages, same),
    orders: table(state.orders, (stored) => stored.order),
    invoices: table(state.invoices, same),
    webhooks: table(state.webhooks, ({ Id, Url, Events }) => ({ Id, Url, Events })),
    planGroups: table(state.planGroups, same),
    plans: table(state.plans, same),
    planVariants: table(state.planVariants, same),
    components: table(state.components, same),
    discounts: table(state.discounts, same),
    coupons: table(state.coupons, same),
  };
}
