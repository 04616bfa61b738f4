// REST routes for orders (resources.md "Orders"): list, preview, create, get, delete, commit.
// The lifecycle behind them lives in domain/orders.ts and domain/commit.ts.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Order } from '../../billwerk/dto.js';
import { unprocessable } from '../errors.js';
import { Query, parseBody, pascal } from '../input.js';
import { page } from '../paging.js';
import { ms } from '../time.js';
import { sendJson, type Api, type IdParams } from '../http/api.js';
import { commitOrder } from '../domain/commit.js';
import { parseOrderInput } from '../domain/order-input.js';
import { createOrder, orderOf, previewOrder } from '../domain/orders.js';

const commitBody = pascal({ PaymentMethod: z.string().nullish() });

function matches(order: Order, query: Query): boolean {
  const status = query.string('status')?.toLowerCase();
  const type = query.string('type')?.toLowerCase();
  const from = query.date('dateFrom') ?? Number.NEGATIVE_INFINITY;
  const to = query.date('dateTo') ?? Number.POSITIVE_INFINITY;
  const search = query.string('search')?.toLowerCase();
  const created = ms(order.CreatedAt);
  return (
    (status === undefined || order.Status.toLowerCase() === status) &&
    (type === undefined || order.OrderType.toLowerCase() === type) &&
    created >= from &&
    created <= to &&
    (search === undefined ||
      [order.Id, order.CustomerId, order.ContractId, order.PlanName ?? ''].some((value) =>
        value.toLowerCase().includes(search),
      ))
  );
}

export function orderRoutes(app: FastifyInstance, api: Api): void {
  const { state } = api;

  app.get('/orders', (request, reply) => {
    const query = new Query(request.query);
    const found = [...state.orders.values()]
      .map((stored) => stored.order)
      .filter((order) => matches(order, query));
    return sendJson(request, reply, page(found, query));
  });

  app.post('/orders/preview', (request, reply) => {
    const input = parseOrderInput(request.body);
    return sendJson(request, reply, { Order: api.run((ctx) => previewOrder(ctx, input)) });
  });

  app.post('/orders', (request, reply) => {
    const input = parseOrderInput(request.body);
    return sendJson(
      request,
      reply,
      api.run((ctx) => createOrder(ctx, input)),
    );
  });

  app.get<{ Params: IdParams }>('/orders/:id', (request, reply) =>
    sendJson(request, reply, orderOf(state, request.params.id).order),
  );

  // An uncommitted order can be discarded; a committed one stays as a record [inferred].
  app.delete<{ Params: IdParams }>('/orders/:id', (request, reply) => {
    const stored = orderOf(state, request.params.id);
    if (stored.order.Status === 'Completed') throw unprocessable('A completed order cannot be deleted');
    state.orders.delete(stored.order.Id);
    return reply.code(204).send();
  });

  app.post<{ Params: IdParams }>('/orders/:id/commit', (request, reply) => {
    const stored = orderOf(state, request.params.id);
    const { PaymentMethod } = parseBody(commitBody, request.body);
    const contract = api.run((ctx) =>
      commitOrder(ctx, stored, PaymentMethod ? { paymentMethod: PaymentMethod } : {}),
    );
    return sendJson(request, reply, contract);
  });
}
