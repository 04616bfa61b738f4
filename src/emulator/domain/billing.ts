// Billing: turns a contract's recurring lines, metered usage and discounts into invoices.
// Every billing point (signup, recurring run, change, end, annulation) is one "true-up" of coverage.
import type { Contract, Id, Invoice, InvoiceItem } from '../../billwerk/dto.js';
import { type BillingLine, type State } from '../store.js';
import { addPeriod, iso, ms, periodsBetween } from '../time.js';
import { notify, type Ctx } from './context.js';
import { billingStart, variantIdAt, variantOf } from './contracts.js';

/**
 * One billing point. Each recurring line is billed ("covered") up to `target`, or to its end if
 * earlier; anything covered beyond that is credited. So a prepaid signup charges the first period,
 * an upgrade credits the old variant from ChangeDate and charges the new one, and an end credits
 * what was prepaid past EndDate, all with one rule.
 */
export interface BillingRun {
  target: number;
  /** Lines that start later are left alone. @default ctx.now (Infinity bills a future start ahead) */
  startedBy?: number;
  /** Bill unbilled metered usage due up to here (flows.md §8). @default no usage */
  usageUntil?: number;
  /** Only this line (e.g. one component subscription billed at once). */
  only?: string;
}

const DUE_DAYS = 14;

/** Rounds to cents, half away from zero, so a credit mirrors its charge exactly. */
export function round2(value: number): number {
  return (Math.sign(value) * Math.round(Math.abs(value) * 100 + 1e-9)) / 100;
}

/** A phase's line; the variant is part of the key because a new phase may replace one at the same start. */
export const planLineKey = (contractId: Id, phaseStart: string, variantId: Id): string =>
  `plan:${contractId}:${phaseStart}:${variantId}`;
export const componentLineKey = (subscriptionId: Id): string => `component:${subscriptionId}`;

/** The contract's recurring lines: its Normal phases and its quantity/on-off component subscriptions. */
export function recurringLines(state: State, contract: Contract): BillingLine[] {
  const lines: BillingLine[] = [];
  const contractEnd = contract.EndDate ? ms(contract.EndDate) : undefined;
  contract.Phases.forEach((phase, index) => {
    const variant = phase.PlanVariantId ? state.planVariants.get(phase.PlanVariantId) : undefined;
    if (phase.Type !== 'Normal' || !variant) return;
    const next = contract.Phases[index + 1];
    lines.push({
      key: planLineKey(contract.Id, phase.StartDate, variant.Id),
      contractId: contract.Id,
      description: variant.InternalName,
      productId: variant.Id,
      quantity: phase.Quantity ?? 1,
      fee: variant.RecurringFee,
      feePeriod: variant.FeePeriod,
      start: ms(phase.StartDate),
      end: next ? ms(next.StartDate) : contractEnd,
    });
  });
  const firstBilled = billingStart(contract);
  const current = variantOf(state, variantIdAt(contract, Number.POSITIVE_INFINITY));
  for (const subscription of state.componentSubscriptions.values()) {
    const component = state.components.get(subscription.ComponentId);
    if (subscription.ContractId !== contract.Id || !component || component.ComponentType === 'Metered')
      continue;
    const start = ms(subscription.StartDate);
    const ends = [subscription.EndDate ? ms(subscription.EndDate) : undefined, contractEnd];
    const defined = ends.filter((end): end is number => end !== undefined);
    lines.push({
      key: componentLineKey(subscription.Id),
      contractId: contract.Id,
      description: component.Name._c ?? component.Id,
      productId: component.Id,
      quantity: component.ComponentType === 'OnOff' ? 1 : subscription.Quantity,
      fee: component.PricePerUnit,
      // A component without its own fee period is priced per billing period [inferred].
      feePeriod: component.FeePeriod ?? current.BillingPeriod,
      start: component.BillInTrial ? start : Math.max(start, firstBilled),
      ...(defined.length > 0 ? { end: Math.min(...defined) } : {}),
    });
  }
  return lines;
}

function recurringItems(ctx: Ctx, contract: Contract, run: BillingRun): InvoiceItem[] {
  const { state } = ctx;
  const lines = new Map(recurringLines(state, contract).map((line) => [line.key, line]));
  // Lines billed earlier but gone now (a replaced phase) still get their coverage credited.
  for (const [key, coverage] of state.coverage) {
    if (coverage.line.contractId === contract.Id && !lines.has(key)) {
      lines.set(key, { ...coverage.line, end: coverage.line.start });
    }
  }
  const items: InvoiceItem[] = [];
  const startedBy = run.startedBy ?? ctx.now;
  for (const line of lines.values()) {
    if ((run.only !== undefined && line.key !== run.only) || line.start > startedBy) continue;
    const covered = state.coverage.get(line.key)?.until ?? line.start;
    const wanted = Math.max(line.start, Math.min(line.end ?? Number.POSITIVE_INFINITY, run.target));
    if (wanted === covered) continue;
    const price = round2(line.fee * periodsBetween(covered, wanted, line.feePeriod));
    items.push({
      Description: line.description,
      Quantity: line.quantity,
      PricePerUnit: price,
      TotalNet: round2(price * line.quantity),
      PeriodStart: iso(Math.min(covered, wanted)),
      PeriodEnd: iso(Math.max(covered, wanted)),
      ProductId: line.productId,
    });
    state.coverage.set(line.key, { line, until: wanted });
    if (line.key.startsWith('component:')) {
      const subscription = state.componentSubscriptions.get(line.key.slice('component:'.length));
      if (subscription) subscription.BilledUntil = iso(wanted);
    }
  }
  return items;
}

/** One line per active discount: its percentage of the plan and component charges it covers. */
function discountItems(ctx: Ctx, contract: Contract, charges: InvoiceItem[]): InvoiceItem[] {
  const items: InvoiceItem[] = [];
  for (const subscription of ctx.state.discountSubscriptions.values()) {
    const discount = ctx.state.discounts.get(subscription.DiscountId);
    if (subscription.ContractId !== contract.Id || !discount) continue;
    const from = ms(subscription.StartDate);
    const until = subscription.EndDate ? ms(subscription.EndDate) : Number.POSITIVE_INFINITY;
    const base = charges
      .filter((item) => item.PeriodStart && ms(item.PeriodStart) >= from && ms(item.PeriodStart) < until)
      .reduce((sum, item) => sum + item.TotalNet, 0);
    const percent = discount.Effect.ReductionPercent ?? 0;
    const amount = round2(-base * (percent / 100));
    if (amount === 0) continue;
    items.push({
      Description: `Discount ${discount.InternalName}`,
      Quantity: 1,
      PricePerUnit: amount,
      TotalNet: amount,
      ProductId: discount.Id,
    });
  }
  return items;
}

/**
 * Unbilled usage due by `until`, one line per metered component. The variant's quota is free for
 * usage in the current period; entries dated before LastBillingDate are billed without it (flows.md §8).
 */
function usageItems(ctx: Ctx, contract: Contract, until: number): { items: InvoiceItem[]; ids: Id[] } {
  const { state } = ctx;
  const periodStart = contract.LastBillingDate ? ms(contract.LastBillingDate) : billingStart(contract);
  const variant = variantOf(state, contract.PlanVariantId);
  const byComponent = new Map<Id, { current: number; earlier: number }>();
  const ids: Id[] = [];
  for (const usage of state.usages.values()) {
    if (usage.ContractId !== contract.Id || usage.BilledOn || ms(usage.DueDate) > until) continue;
    const sums = byComponent.get(usage.ComponentId) ?? { current: 0, earlier: 0 };
    if (ms(usage.DueDate) >= periodStart) sums.current += usage.Quantity;
    else sums.earlier += usage.Quantity;
    byComponent.set(usage.ComponentId, sums);
    ids.push(usage.Id);
  }
  const items: InvoiceItem[] = [];
  for (const [componentId, sums] of byComponent) {
    const component = state.components.get(componentId);
    if (!component) continue;
    const quota = variant.Quota?.find((entry) => entry.ComponentId === componentId)?.Quota ?? 0;
    const quantity = Math.max(0, sums.current - quota) + sums.earlier;
    items.push({
      Description: component.Name._c ?? component.Id,
      Quantity: quantity,
      PricePerUnit: component.PricePerUnit,
      TotalNet: round2(quantity * component.PricePerUnit),
      PeriodStart: iso(periodStart),
      PeriodEnd: iso(until),
      ProductId: component.Id,
    });
  }
  return { items, ids };
}

/**
 * Bills the billing period of the current variant that starts at `from` (cut at EndDate), prepaid,
 * and sets the billing dates: billed until the period's end, which is the next billing date.
 */
export function billPeriod(
  ctx: Ctx,
  contract: Contract,
  from: number,
  run: Omit<BillingRun, 'target'>,
  billedAt = from,
): void {
  const variant = variantOf(ctx.state, contract.PlanVariantId);
  const end = contract.EndDate ? ms(contract.EndDate) : Number.POSITIVE_INFINITY;
  const target = Math.min(addPeriod(from, variant.BillingPeriod), end);
  bill(ctx, contract, { ...run, target });
  contract.LastBillingDate = iso(billedAt);
  contract.NextBillingDate = iso(target);
  contract.BilledUntil = contract.NextBillingDate;
}

/** VAT rate of the contract's plan group, percent. */
function vatRate(state: State, contract: Contract): number {
  const group = contract.PlanGroupId ? state.planGroups.get(contract.PlanGroupId) : undefined;
  return (group?.TaxPolicyId ? state.taxPolicies.get(group.TaxPolicyId)?.Rate : undefined) ?? 0;
}

/** Runs one billing point; issues an invoice (and InvoiceCreated) when anything is owed or credited. */
export function bill(ctx: Ctx, contract: Contract, run: BillingRun): Invoice | undefined {
  const charges = recurringItems(ctx, contract, run);
  const usage =
    run.usageUntil === undefined ? { items: [], ids: [] } : usageItems(ctx, contract, run.usageUntil);
  // Zero recurring lines (a free variant) are left off; usage lines stay, showing what the quota covered.
  const recurring = [...charges, ...discountItems(ctx, contract, charges)].filter(
    (item) => item.TotalNet !== 0,
  );
  const items = [...recurring, ...usage.items];
  const invoice = items.some((item) => item.TotalNet !== 0) ? issue(ctx, contract, items) : undefined;
  for (const id of usage.ids) {
    const entry = ctx.state.usages.get(id);
    if (!entry) continue;
    entry.BilledOn = iso(ctx.now);
    entry.BilledInvoiceId = invoice?.Id ?? null;
  }
  return invoice;
}

function issue(ctx: Ctx, contract: Contract, items: InvoiceItem[]): Invoice {
  const { state } = ctx;
  const rate = vatRate(state, contract);
  for (const item of items) {
    item.TotalVat = round2((item.TotalNet * rate) / 100);
    item.TotalGross = round2(item.TotalNet + item.TotalVat);
  }
  const net = round2(items.reduce((sum, item) => sum + item.TotalNet, 0));
  const vat = round2((net * rate) / 100);
  const customer = state.customers.get(contract.CustomerId);
  state.seq.invoice += 1;
  // One number range for invoices and credit notes, told apart by prefix [inferred].
  const number = `${net < 0 ? 'GS' : 'RE'}${100000 + state.seq.invoice}`;
  const invoice: Invoice = {
    Id: ctx.ids.next(ctx.now),
    InvoiceNumber: number,
    CustomerId: contract.CustomerId,
    ContractId: contract.Id,
    ExternalCustomerId: customer?.ExternalCustomerId ?? null,
    Created: iso(ctx.now),
    SentAt: iso(ctx.now),
    DocumentDate: iso(ctx.now),
    DueDate: iso(addPeriod(ctx.now, { Unit: 'Day', Quantity: DUE_DAYS })),
    RecipientName: customer?.CustomerName ?? '',
    RecipientAddress: { ...(customer?.Address ?? {}) },
    Currency: contract.Currency,
    TotalNet: net,
    TotalVat: vat,
    TotalGross: round2(net + vat),
    IsInvoice: net >= 0,
    ItemList: items,
  };
  state.invoices.set(invoice.Id, invoice);
  contract.IsDeletable = false;
  notify(ctx, contract.CustomerId, {
    Event: 'InvoiceCreated',
    InvoiceId: invoice.Id,
    ContractId: contract.Id,
    CustomerId: contract.CustomerId,
  });
  return invoice;
}
