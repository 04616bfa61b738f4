// REST routes for contracts and their changes (resources.md "Contracts", "Contract changes"):
// list/get, data PUT/PATCH, DELETE, cancellationPreview, end, annulate, contractChanges.
import type { FastifyInstance } from 'fastify';
import type { ContractChange } from '../../billwerk/dto.js';
import { notFound } from '../errors.js';
import { Query, isoDate, parseBody, pascal } from '../input.js';
import { page } from '../paging.js';
import { checkIfMatch, sendJson, type Api, type IdParams } from '../http/api.js';
import { annulate, endContract, previewCancellation } from '../domain/cancellation.js';
import { contractDataFields, deleteContract, updateContractData } from '../domain/contract-data.js';
import { contractOf } from '../domain/contracts.js';
import { type State } from '../store.js';

const endBody = pascal({ EndDate: isoDate });

export function contractRoutes(app: FastifyInstance, api: Api): void {
  contractReadRoutes(app, api);
  contractDataRoutes(app, api);
  contractEndingRoutes(app, api);
  contractChangeRoutes(app, api);
}

/** The list (by external id or customer) and one contract. */
function contractReadRoutes(app: FastifyInstance, { state }: Api): void {
  app.get('/contracts', (request, reply) => {
    const query = new Query(request.query);
    const externalId = query.string('externalId');
    const customerId = query.string('customerId')?.toLowerCase();
    const found = [...state.contracts.values()].filter(
      (contract) =>
        (externalId === undefined || contract.ExternalId === externalId) &&
        (customerId === undefined || contract.CustomerId === customerId),
    );
    return sendJson(request, reply, page(found, query));
  });

  app.get<{ Params: IdParams }>('/contracts/:id', (request, reply) =>
    sendJson(request, reply, contractOf(state, request.params.id)),
  );
}

/** A contract's own data: PUT replaces, PATCH merges, DELETE removes. */
function contractDataRoutes(app: FastifyInstance, api: Api): void {
  const { state } = api;
  for (const method of ['PUT', 'PATCH'] as const) {
    app.route<{ Params: IdParams }>({
      method,
      url: '/contracts/:id',
      handler: (request, reply) => {
        const contract = contractOf(state, request.params.id);
        checkIfMatch(request, contract);
        const fields = parseBody(contractDataFields, request.body);
        return sendJson(
          request,
          reply,
          api.run((ctx) => updateContractData(ctx, contract, fields, method === 'PATCH')),
        );
      },
    });
  }

  app.delete<{ Params: IdParams }>('/contracts/:id', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    api.run((ctx) => deleteContract(ctx, contract));
    return reply.code(204).send();
  });
}

/** Ending a contract: the preview of the earliest end, ending it at a date, annulling it. */
function contractEndingRoutes(app: FastifyInstance, api: Api): void {
  const { state } = api;
  app.get<{ Params: IdParams }>('/contracts/:id/cancellationPreview', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    // The parameter name is undocumented; `cancellationTime` [inferred], default now.
    const when = new Query(request.query).date('cancellationTime');
    return sendJson(
      request,
      reply,
      api.run((ctx) => previewCancellation(ctx, contract, when ?? ctx.now)),
    );
  });

  app.post<{ Params: IdParams }>('/contracts/:id/end', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    const { EndDate } = parseBody(endBody, request.body);
    return sendJson(
      request,
      reply,
      api.run((ctx) => endContract(ctx, contract, EndDate)),
    );
  });

  app.post<{ Params: IdParams }>('/contracts/:id/annulate', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    return sendJson(
      request,
      reply,
      api.run((ctx) => annulate(ctx, contract)),
    );
  });
}

/** A listed change without its Details, with its contract when asked for (`includeContract`). */
function listedChange(state: State, change: ContractChange, include: boolean): ContractChange {
  const { Details: _details, ...listed } = change;
  const contract = include ? state.contracts.get(change.ContractId) : undefined;
  return contract ? { ...listed, Contract: contract } : listed;
}

/** Contract changes: the list (of one contract, or all) and one change. */
function contractChangeRoutes(app: FastifyInstance, { state }: Api): void {
  app.get('/contractChanges', (request, reply) => {
    const query = new Query(request.query);
    const contractId = query.string('contractId')?.toLowerCase();
    const include = query.boolean('includeContract') ?? false;
    const found = [...state.changes.values()].filter(
      (change) => !contractId || change.ContractId === contractId,
    );
    // Details appear only on the single change (resources.md "Contract changes").
    return sendJson(
      request,
      reply,
      page(found, query).map((change) => listedChange(state, change, include)),
    );
  });

  app.get<{ Params: IdParams }>('/contractChanges/:id', (request, reply) => {
    const change = state.changes.get(request.params.id.toLowerCase());
    if (!change) throw notFound('ContractChange', request.params.id);
    return sendJson(request, reply, change);
  });
}
