// What an event means for the caches and which entities it is enriched with: cache entries of the
// entities it names are dropped as it is handed on, then those entities are read as they are after its
// receipt (webhooks are hints): over REST, or a read of them that started after it was handed on.
import { type Contract, type ContractChange, type Customer, type Invoice } from '../billwerk/dto.js';
import { type BillwerkId } from '../billwerk/id.js';
import { type BillwerkReader } from '../loaders/reader.js';
import { CATALOGUE_KINDS } from '../loaders/shared-cache.js';
import { type Enrichment } from '../events/event-log.js';
import { type ParsedNotice } from '../events/notice.js';
import { unreachable } from '../events/unreachable.js';

/** Drops every cached entry the notice may have made stale. */
export function invalidateFor(notice: ParsedNotice, reader: BillwerkReader): void {
  const { cache } = reader;
  if (notice.contractId) cache.invalidate('Contract', notice.contractId);
  if (notice.customerId) cache.invalidate('Customer', notice.customerId);
  if (notice.changeId) cache.invalidate('ContractChange', notice.changeId);
  switch (notice.kind) {
    case 'invoice':
      for (const id of notice.invoiceIds) cache.invalidate('Invoice', id);
      return;
    case 'catalogue':
      // Catalogue lists are cached whole; one changed plan makes every list suspect.
      for (const kind of CATALOGUE_KINDS) cache.invalidateKind(kind);
      return;
    case 'contractChange':
    case 'contract':
    case 'customer':
    case 'order':
    case 'payment':
    case 'account':
    case 'unknown':
      return;
    default:
      return unreachable(notice);
  }
}

/** What to re-read for a notice: the entities it names, except one its event says is gone. */
interface Reads {
  contract?: BillwerkId;
  change?: BillwerkId;
  customer?: BillwerkId;
  invoice?: BillwerkId;
}

function readsFor(notice: ParsedNotice): Reads {
  const event = notice.event.toLowerCase();
  const reads: Reads = {
    contract: event === 'contractdeleted' ? undefined : notice.contractId,
    change: notice.changeId,
    customer: event === 'customerdeleted' ? undefined : notice.customerId,
  };
  if (notice.kind === 'invoice') reads.invoice = notice.invoiceId;
  return reads;
}

/**
 * Fetches the state of what the notice names, from reads started at or after `since` (the cache's mark
 * taken when the event was handed on, after its receipt): the later events of a burst on one contract
 * share the read the first of them made. Throws on upstream failure (the caller retries).
 */
export async function enrich(
  notice: ParsedNotice,
  reader: BillwerkReader,
  since: number,
): Promise<Enrichment> {
  const reads = readsFor(notice);
  // The reader answers null for an entity billwerk does not have (any more): a deleted entity is a fact to
  // report, not a failure to retry.
  const [contract, change, customer, invoice]: [
    Contract | null,
    ContractChange | null,
    Customer | null,
    Invoice | null,
  ] = await Promise.all([
    reads.contract ? reader.contract(reads.contract, since) : null,
    reads.change ? reader.contractChange(reads.change, since) : null,
    reads.customer ? reader.customer(reads.customer, since) : null,
    reads.invoice ? reader.invoice(reads.invoice, since) : null,
  ]);
  const enrichment: Enrichment = {};
  if (contract) enrichment.contract = contract;
  if (change) enrichment.change = change;
  if (customer) enrichment.customer = customer;
  if (invoice) enrichment.invoice = invoice;
  return enrichment;
}
