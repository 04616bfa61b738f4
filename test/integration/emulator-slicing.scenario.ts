// Lifecycle scenarios for the slicing property: REST calls at given emulated instants, replayed on
// two emulators whose manual clocks cover the same span in one step and in a random partition.
import fc from 'fast-check';
import type { CancellationPreview, Contract, Order, WebhookNotice } from '../../src/billwerk/dto.js';
import { createClock, type EmulatorClock } from '../../src/emulator/clock.js';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { DAY, RestClient, START, billwerkDate, type HookListener } from './emulator-harness.js';

export type Variant = keyof typeof SEED_IDS.planVariants;

/** Where emulator B stops on its way through a span: a fraction of it, or next to a known due date. */
export type Cut = { fraction: number } | { due: number; delta: -1 | 0 | 1 };

/**
 * A date: `inMs` after now, or `shift` from the latest change still pending on the contract (now + 0
 * without one), so that changes land on, just before and just after each other and replace each other.
 */
export type When = { inMs: number } | { shift: number };

/** One REST operation; `contract` counts back from the newest of the seeded and signed-up contracts. */
export type Action =
  | { type: 'signup'; variant: Variant; startInMs: number; seats: number }
  | { type: 'changePlan'; contract: number; variant: Variant; when: When; seats: number; interim: boolean }
  | { type: 'changeComponents'; contract: number; when: When; seats: number; interim: boolean }
  | { type: 'subscribe'; contract: number; when: When; quantity: number; billed: boolean }
  | { type: 'usage'; contract: number; quantity: number }
  | { type: 'endWithNotice'; contract: number }
  | { type: 'end'; contract: number; when: When }
  | { type: 'annulate'; contract: number };

/** Time passes (`waitMs`, B stopping at `cuts` on the way), then the action runs on both emulators. */
export interface Step {
  waitMs: number;
  cuts: Cut[];
  action: Action;
}

export interface Scenario {
  steps: Step[];
  /** Time that passes after the last action, so scheduled changes and billing runs fall due. */
  tail: { waitMs: number; cuts: Cut[] };
}

const SEEDED = [
  SEED_IDS.contracts.adaBasicMonthly,
  SEED_IDS.contracts.graceProYearly,
  SEED_IDS.contracts.alanProTrial,
  SEED_IDS.contracts.katherineBasicYearlyCancelled,
  SEED_IDS.contracts.katherineFree,
];

// Offsets cluster on a few values so that dates collide, nearly collide (5 ms apart) and replace each other.
const offset = fc.oneof(
  fc.constantFrom(0, 5, 500, 2_995, 3_000, 5_000, DAY, 14 * DAY, 31 * DAY),
  fc.integer({ min: 0, max: 60 * DAY }),
);
const when: fc.Arbitrary<When> = fc.oneof(
  fc.record({ inMs: offset }),
  fc.record({
    shift: fc.oneof(
      fc.constantFrom(0, -5, 5, -1, 1, -3_000, -DAY),
      fc.integer({ min: -30 * DAY, max: 5 * DAY }),
    ),
  }),
);
const wait = fc.oneof(fc.constantFrom(0, 1, 5, 3_000), fc.integer({ min: 0, max: 40 * DAY }));
const cuts = fc.array(
  fc.oneof(
    fc.record({ fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.record({ due: fc.nat(50), delta: fc.constantFrom<-1 | 0 | 1>(-1, 0, 1) }),
  ),
  { maxLength: 6 },
);
const variant = fc.constantFrom<Variant>('free', 'basicMonthly', 'basicYearly', 'proMonthly', 'proYearly');
// Counted from the newest contract, mostly the newest itself: changes pile up on one contract and replace each other.
const pick = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.nat(12), weight: 1 });
const seats = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }));
const quantity = fc.integer({ min: 1, max: 3 });
const interim = fc.boolean();
const startInMs = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: offset, weight: 1 });
const type = <T extends Action['type']>(name: T) => fc.constant(name);
const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

const action: fc.Arbitrary<Action> = fc.oneof(
  weighted(1, fc.record({ type: type('signup'), variant, startInMs, seats })),
  weighted(4, fc.record({ type: type('changePlan'), contract: pick, variant, when, seats, interim })),
  weighted(1, fc.record({ type: type('changeComponents'), contract: pick, when, seats: quantity, interim })),
  weighted(2, fc.record({ type: type('subscribe'), contract: pick, when, quantity, billed: fc.boolean() })),
  weighted(1, fc.record({ type: type('usage'), contract: pick, quantity: fc.integer({ min: 1, max: 900 }) })),
  weighted(1, fc.record({ type: type('endWithNotice'), contract: pick })),
  weighted(2, fc.record({ type: type('end'), contract: pick, when })),
  weighted(1, fc.record({ type: type('annulate'), contract: pick })),
);

export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  steps: fc.array(fc.record({ waitMs: wait, cuts, action }), { minLength: 1, maxLength: 12 }),
  tail: fc.record({ waitMs: fc.integer({ min: 0, max: 90 * DAY }), cuts }),
});

/** What one emulator did: REST answers and delivered notices, each tagged with the step it belongs to. */
export type Entry =
  { step: number; call: string; status: number; body: unknown } | { step: number; notice: WebhookNotice };

/** A change scheduled by an action and not yet in effect, as the test models it. */
interface Scheduled {
  changeId: string;
  effectiveAt: number;
  /** plan: an order with a plan change; end: POST end; other: components only. */
  kind: 'plan' | 'end' | 'other';
  /** The order also added or ended components, which still take effect if its plan change is replaced. */
  addons: boolean;
}

/** One emulator driven through a scenario. */
export class Replay {
  readonly log: Entry[] = [];
  /** Changes replaced or dropped before they took effect: none of them may ever be announced. */
  readonly silent = new Set<string>();
  private readonly pool: string[] = [...SEEDED];
  private readonly scheduled = new Map<string, Scheduled[]>();
  private step = 0;
  private signups = 0;

  private constructor(
    readonly emulator: Emulator,
    readonly clock: EmulatorClock,
    private readonly rest: RestClient,
    private readonly hooks: HookListener,
  ) {}

  static async start(hooks: HookListener): Promise<Replay> {
    const clock = createClock({ mode: 'manual', start: START });
    const emulator = await createEmulator({ clock, idProcessPart: 'a1b2c3d4e5' });
    const rest = new RestClient(emulator);
    hooks.clear();
    await rest.ok('POST', '/webhooks', { Url: hooks.url, Events: [] });
    return new Replay(emulator, clock, rest, hooks);
  }

  /** Moves the clock to `target`: in one step, or stopping at `cuts` on the way. */
  async advance(target: number, sliced: Cut[] | undefined): Promise<void> {
    for (const stop of sliced ? this.stops(target, sliced) : []) await this.clock.advanceTo(new Date(stop));
    await this.clock.advanceTo(new Date(target));
    await this.collect();
  }

  async perform(action: Action): Promise<void> {
    const now = this.clock.now().getTime();
    for (const [contractId, list] of this.scheduled) {
      this.scheduled.set(
        contractId,
        list.filter((item) => item.effectiveAt > now),
      );
    }
    await this.act(action, now);
    await this.collect();
    this.step += 1;
  }

  /** Every notice the emulator announced, in delivery order per customer. */
  notices(): WebhookNotice[] {
    return this.log.flatMap((entry) => ('notice' in entry ? [entry.notice] : []));
  }

  /** The final state the scenario compares. */
  finalState(): Record<string, unknown[]> {
    const { store } = this.emulator;
    return {
      customers: store.customers.list(),
      contracts: store.contracts.list(),
      contractChanges: store.contractChanges.list(),
      invoices: store.invoices.list(),
      orders: store.orders.list(),
      componentSubscriptions: store.componentSubscriptions.list(),
      discountSubscriptions: store.discountSubscriptions.list(),
      meteredUsages: store.meteredUsages.list(),
    };
  }

  async close(): Promise<void> {
    await this.emulator.close();
  }

  private stops(target: number, sliced: Cut[]): number[] {
    const from = this.clock.now().getTime();
    const due = this.dueDates().filter((at) => at > from && at < target);
    const stops = sliced.map((cut) => {
      const at =
        'fraction' in cut
          ? from + Math.floor((target - from) * cut.fraction)
          : (due[cut.due % Math.max(1, due.length)] ?? from) + cut.delta;
      return Math.min(target, Math.max(from, at));
    });
    return [...new Set(stops)].sort((a, b) => a - b);
  }

  /** Dates the emulator will act on: the cuts that matter most are at them and 1 ms either side. */
  private dueDates(): number[] {
    const { store } = this.emulator;
    const dates = [
      ...store.contracts
        .list()
        .flatMap((item) => [item.NextBillingDate, item.TrialEndDate, item.EndDate, item.StartDate]),
      ...store.contractChanges.list().map((item) => item.ChangeDate),
      ...store.componentSubscriptions.list().flatMap((item) => [item.StartDate, item.EndDate]),
    ];
    const known = dates
      .filter((item): item is string => typeof item === 'string')
      .map((item) => Date.parse(item));
    return [...new Set(known)].sort((a, b) => a - b);
  }

  private async collect(): Promise<void> {
    await this.emulator.webhooks.idle();
    // Queues are per customer: only each customer's order is defined, so compare in that order.
    const arrived = this.hooks.received.map((item) => item.notice);
    this.hooks.clear();
    const byCustomer = [...arrived].sort((a, b) => (a.CustomerId ?? '').localeCompare(b.CustomerId ?? ''));
    for (const notice of byCustomer) this.log.push({ step: this.step, notice });
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const reply = await this.rest.call<T>(method, path, body);
    this.log.push({ step: this.step, call: `${method} ${path}`, status: reply.status, body: reply.body });
    return reply;
  }

  /** Records the change an action just scheduled, and which scheduled changes it replaced. */
  private schedule(
    contractId: string,
    item: Omit<Scheduled, 'changeId'>,
    replaces: (old: Scheduled) => boolean,
  ): void {
    const changes = this.emulator.store.contractChanges
      .list()
      .filter((change) => change.ContractId === contractId);
    const changeId = changes[changes.length - 1]?.Id ?? '';
    const kept: Scheduled[] = [];
    for (const old of this.scheduled.get(contractId) ?? []) {
      if (!replaces(old)) kept.push(old);
      else if (old.kind === 'plan' && old.addons && item.kind === 'plan') {
        kept.push({ ...old, kind: 'other' }); // its components still take effect
      } else this.silent.add(old.changeId);
    }
    if (item.effectiveAt > this.clock.now().getTime()) kept.push({ ...item, changeId });
    this.scheduled.set(contractId, kept);
  }

  private async act(action: Action, now: number): Promise<void> {
    const back = ('contract' in action ? action.contract : 0) % this.pool.length;
    const contractId = this.pool[this.pool.length - 1 - back] ?? '';
    const pending = (this.scheduled.get(contractId) ?? []).map((item) => item.effectiveAt);
    const at = (date: When): number =>
      'inMs' in date ? now + date.inMs : Math.max(now, Math.max(now, ...pending) + date.shift);
    const order = async (body: Record<string, unknown>): Promise<boolean> => {
      const created = await this.call<Order>('POST', '/orders', body);
      if (created.status !== 200) return false;
      return (await this.call('POST', `/orders/${created.body.Id}/commit`, {})).status === 200;
    };
    const seatsCart = (count: number) =>
      count > 0
        ? { ComponentSubscriptions: [{ ComponentId: SEED_IDS.components.seats, Quantity: count }] }
        : {};
    switch (action.type) {
      case 'signup': {
        this.signups += 1;
        const created = await this.call<Order>('POST', '/orders', {
          Customer: {
            FirstName: 'Slice',
            LastName: `No ${this.signups}`,
            ExternalCustomerId: `slice-${this.signups}`,
          },
          Cart: { PlanVariantId: SEED_IDS.planVariants[action.variant], ...seatsCart(action.seats) },
          ...(action.startInMs > 0 ? { StartDate: billwerkDate(now + action.startInMs) } : {}),
        });
        if (created.status !== 200) return;
        const committed = await this.call<Contract>('POST', `/orders/${created.body.Id}/commit`, {
          PaymentMethod: 'InvoicePayment',
        });
        if (committed.status === 200) this.pool.push(committed.body.Id);
        return;
      }
      case 'changePlan': {
        const date = at(action.when);
        const done = await order({
          ContractId: contractId,
          Cart: { PlanVariantId: SEED_IDS.planVariants[action.variant], ...seatsCart(action.seats) },
          ChangeDate: billwerkDate(date),
          TriggerInterimBilling: action.interim,
        });
        if (done) {
          const item = { effectiveAt: Math.max(date, now), kind: 'plan' as const, addons: action.seats > 0 };
          // Pending, so effectiveAt is the old ChangeDate: a plan phase from `date` on replaces it.
          this.schedule(contractId, item, (old) => old.kind === 'plan' && old.effectiveAt >= date);
        }
        return;
      }
      case 'changeComponents': {
        const date = at(action.when);
        const done = await order({
          ContractId: contractId,
          Cart: { ...seatsCart(action.seats), EndComponentSubscriptions: [SEED_IDS.components.seats] },
          ChangeDate: billwerkDate(date),
          TriggerInterimBilling: action.interim,
        });
        if (done) {
          const item = { effectiveAt: Math.max(date, now), kind: 'other' as const, addons: true };
          this.schedule(contractId, item, () => false);
        }
        return;
      }
      case 'subscribe': {
        const date = at(action.when);
        const reply = await this.call('POST', `/contracts/${contractId}/componentsubscriptions`, {
          ComponentId: SEED_IDS.components.prioritySupport,
          Quantity: action.quantity,
          StartDate: billwerkDate(date),
          ...(action.billed ? { BilledUntil: billwerkDate(date) } : {}),
        });
        if (reply.status === 201) {
          this.schedule(contractId, { effectiveAt: date, kind: 'other', addons: true }, () => false);
        }
        return;
      }
      case 'usage':
        await this.call('POST', `/contracts/${contractId}/usage`, {
          ComponentId: SEED_IDS.components.apiCalls,
          Quantity: action.quantity,
        });
        return;
      case 'endWithNotice': {
        const preview = await this.call<CancellationPreview>(
          'GET',
          `/contracts/${contractId}/cancellationPreview`,
        );
        if (preview.status === 200) await this.end(contractId, Date.parse(preview.body.EndDate), now);
        return;
      }
      case 'end':
        await this.end(contractId, at(action.when), now);
        return;
      case 'annulate':
        if ((await this.call('POST', `/contracts/${contractId}/annulate`)).status === 200) {
          this.schedule(contractId, { effectiveAt: now, kind: 'end', addons: false }, () => true);
        }
        return;
      default:
        return unreachable(action);
    }
  }

  private async end(contractId: string, endDate: number, now: number): Promise<void> {
    const reply = await this.call('POST', `/contracts/${contractId}/end`, { EndDate: billwerkDate(endDate) });
    if (reply.status !== 200) return;
    // A new end replaces the one before it and drops whatever was planned from EndDate on.
    this.schedule(
      contractId,
      { effectiveAt: Math.max(endDate, now), kind: 'end', addons: false },
      (old) => old.kind === 'end' || old.effectiveAt >= endDate,
    );
  }
}

function unreachable(value: never): never {
  throw new Error(`unhandled action ${JSON.stringify(value)}`);
}
