// What an event means for the caches and which entities it is enriched with: cache entries of the
// entities it names are dropped first, then those entities are re-read over REST (webhooks are hints).
import { NotFoundError } from '../billwerk/errors.js';
import { type BillwerkReader } from '../loaders/reader.js';
import { type Enrichment } from './event-log.js';
import { type ParsedNotice } from './notice.js';

const CATALOGUE_EVENTS = /^(plan|planvariant|component|discount|coupon)(created|changed|deleted)$/i;

/** Drops every cached entry the notice may have made stale. */
export function invalidateFor(notice: ParsedNotice, reader: BillwerkReader): void {
  const { cache } = reader;
  const p = notice.payload;
  if (notice.contractId) cache.invalidate('Contract', notice.contractId);
  if (notice.customerId) cache.invalidate('Customer', notice.customerId);
  if (notice.changeId) cache.invalidate('ContractChange', notice.changeId);
  for (const key of ['InvoiceId', 'OldInvoiceId', 'NewInvoiceId'] as const) {
    const id = p[key];
    if (typeof id === 'string') cache.invalidate('Invoice', id);
  }
  if (CATALOGUE_EVENTS.test(notice.event)) {
    // Catalogue lists are cached whole; one changed plan makes every list suspect.
    for (const kind of [
      'Catalogue',
      'PlanGroup',
      'Plan',
      'PlanVariant',
      'Component',
      'Discount',
      'Coupon',
    ] as const) {
      cache.invalidateKind(kind);
    }
  }
}

async function optional<T>(load: Promise<T | null>): Promise<T | undefined> {
  try {
    return (await load) ?? undefined;
  } catch (error) {
    // A deleted entity is a fact to report, not a failure to retry.
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Fetches the current state of what the notice names. Throws on upstream failure (the caller retries). */
export async function enrich(notice: ParsedNotice, reader: BillwerkReader): Promise<Enrichment> {
  const invoiceId = typeof notice.payload.InvoiceId === 'string' ? notice.payload.InvoiceId : undefined;
  const [contract, change, customer, invoice] = await Promise.all([
    notice.contractId && !/^contractdeleted$/i.test(notice.event)
      ? optional(reader.contract(notice.contractId))
      : undefined,
    notice.changeId ? optional(reader.contractChange(notice.changeId)) : undefined,
    notice.customerId && !/^customerdeleted$/i.test(notice.event)
      ? optional(reader.customer(notice.customerId))
      : undefined,
    invoiceId ? optional(reader.invoice(invoiceId)) : undefined,
  ]);
  const enrichment: Enrichment = {};
  if (contract) enrichment.contract = contract;
  if (change) enrichment.change = change;
  if (customer) enrichment.customer = customer;
  if (invoice) enrichment.invoice = invoice;
  return enrichment;
}
