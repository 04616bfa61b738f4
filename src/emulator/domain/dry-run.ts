// Previews run the real lifecycle rules on a copy of the state and read off what they produced.
// That keeps previews (orders, cancellation) exactly in step with what a commit or an end would do.
import type { Id, Invoice, InvoicePreview } from '../../billwerk/dto.js';
import { type Ctx } from './context.js';

/** A context over a deep copy of the state; its notices go nowhere. */
export function dryRunCtx(ctx: Ctx): Ctx {
  return { state: structuredClone(ctx.state), now: ctx.now, ids: ctx.ids, outbox: [] };
}

/** Invoices of `contractId` created in `copy` but absent from `original`, optionally only at one instant. */
export function invoicesAdded(original: Ctx, copy: Ctx, contractId: Id, created?: string): Invoice[] {
  return [...copy.state.invoices.values()].filter(
    (invoice) =>
      invoice.ContractId === contractId &&
      !original.state.invoices.has(invoice.Id) &&
      (created === undefined || invoice.Created === created),
  );
}

/** The preview shape of an invoice (CancellationPreview.Invoice, resources.md). */
export function invoicePreview(invoice: Invoice | undefined, currency: string): InvoicePreview {
  if (!invoice) return { Currency: currency, TotalNet: 0, TotalVat: 0, TotalGross: 0, ItemList: [] };
  return {
    Currency: invoice.Currency,
    TotalNet: Number(invoice.TotalNet),
    TotalVat: Number(invoice.TotalVat),
    TotalGross: Number(invoice.TotalGross),
    ItemList: invoice.ItemList ?? [],
  };
}
