// REST routes for customers (resources.md "Customers"): list with search/externalId/statusFilter,
// get, create, PUT replace, PATCH merge, DELETE, and a customer's contracts.
import type { FastifyInstance } from 'fastify';
import type { Customer } from '../../billwerk/dto.js';
import { Query, parseBody } from '../input.js';
import { page } from '../paging.js';
import { checkIfMatch, sendJson, type Api, type IdParams } from '../http/api.js';
import {
  createCustomer,
  customerFields,
  customerOf,
  deleteCustomer,
  patchCustomer,
  replaceCustomer,
  toCustomerInput,
} from '../domain/customers.js';

const SEARCHED: (keyof Customer)[] = [
  'CustomerName',
  'CompanyName',
  'FirstName',
  'LastName',
  'EmailAddress',
  'ExternalCustomerId',
  'DebitorAccount',
];

function matches(customer: Customer, query: Query): boolean {
  const externalId = query.string('externalId');
  if (externalId !== undefined && customer.ExternalCustomerId !== externalId) return false;
  // Default: customers that are not deleted [inferred].
  const status = (query.string('statusFilter') ?? 'Normal').toLowerCase();
  if ((status === 'deleted') !== Boolean(customer.DeletedAt) || status === 'unconfirmed') return false;
  const search = query.string('search')?.toLowerCase();
  return (
    search === undefined ||
    SEARCHED.some((key) => {
      const value = customer[key];
      return typeof value === 'string' && value.toLowerCase().includes(search);
    })
  );
}

export function customerRoutes(app: FastifyInstance, api: Api): void {
  const { state } = api;

  app.get('/customers', (request, reply) => {
    const query = new Query(request.query);
    const found = [...state.customers.values()].filter((customer) => matches(customer, query));
    return sendJson(request, reply, page(found, query));
  });

  app.post('/customers', (request, reply) => {
    const input = toCustomerInput(parseBody(customerFields, request.body));
    return sendJson(
      request,
      reply,
      api.run((ctx) => createCustomer(ctx, input)),
    );
  });

  app.get<{ Params: IdParams }>('/customers/:id', (request, reply) =>
    sendJson(request, reply, customerOf(state, request.params.id)),
  );

  // PUT replaces and PATCH merges (resources.md); both honour If-Match the same way.
  for (const [method, update] of [
    ['PUT', replaceCustomer],
    ['PATCH', patchCustomer],
  ] as const) {
    app.route<{ Params: IdParams }>({
      method,
      url: '/customers/:id',
      handler: (request, reply) => {
        const customer = customerOf(state, request.params.id);
        checkIfMatch(request, customer);
        const fields = parseBody(customerFields, request.body);
        return sendJson(
          request,
          reply,
          api.run((ctx) => update(ctx, customer, fields)),
        );
      },
    });
  }

  app.delete<{ Params: IdParams }>('/customers/:id', (request, reply) => {
    const customer = customerOf(state, request.params.id);
    api.run((ctx) => deleteCustomer(ctx, customer));
    return reply.code(204).send();
  });

  app.get<{ Params: IdParams }>('/customers/:id/contracts', (request, reply) => {
    const customer = customerOf(state, request.params.id);
    const contracts = [...state.contracts.values()].filter((contract) => contract.CustomerId === customer.Id);
    return sendJson(request, reply, page(contracts, new Query(request.query)));
  });
}
