// REST routes for invoices (resources.md "Invoices and payments"): list with filters, get by id.
// Invoices are produced by the lifecycle (domain/billing.ts); nothing here writes.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.js';
import { Query } from '../input.js';
import { page } from '../paging.js';
import { ms } from '../time.js';
import { sendJson, type Api, type IdParams } from '../http/api.js';

export function invoiceRoutes(app: FastifyInstance, api: Api): void {
  const { state } = api;

  app.get('/invoices', (request, reply) => {
    const query = new Query(request.query);
    const customerId = query.string('customerId')?.toLowerCase();
    const contractId = query.string('contractId')?.toLowerCase(); // filter [inferred]
    const search = query.string('search')?.toLowerCase();
    const from = query.date('dateFrom') ?? Number.NEGATIVE_INFINITY;
    const to = query.date('dateTo') ?? Number.POSITIVE_INFINITY;
    const found = [...state.invoices.values()].filter(
      (invoice) =>
        (customerId === undefined || invoice.CustomerId === customerId) &&
        (contractId === undefined || invoice.ContractId === contractId) &&
        ms(invoice.DocumentDate) >= from &&
        ms(invoice.DocumentDate) <= to &&
        (search === undefined ||
          [invoice.InvoiceNumber, invoice.RecipientName ?? ''].some((value) =>
            value.toLowerCase().includes(search),
          )),
    );
    return sendJson(request, reply, page(found, query));
  });

  app.get<{ Params: IdParams }>('/invoices/:id', (request, reply) => {
    const invoice = state.invoices.get(request.params.id.toLowerCase());
    if (!invoice) throw notFound('Invoice', request.params.id);
    return sendJson(request, reply, invoice);
  });
}
