// REST routes for a contract's add-ons (resources.md "Component subscriptions, usage, rated items"):
// subscriptions overview, component subscriptions, discount subscriptions, metered usage.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Contract } from '../../billwerk/dto.js';
import { notFound, unprocessable } from '../errors.js';
import { Query, customFields, isoDate, objectId, parseBody, pascal } from '../input.js';
import { page } from '../paging.js';
import { iso, ms } from '../time.js';
import { sendJson, type Api, type IdParams } from '../http/api.js';
import { contractOf } from '../domain/contracts.js';
import { deleteUsage, endDirectly, recordUsage, subscribeDirectly } from '../domain/components.js';

const subscriptionBody = pascal({
  ComponentId: objectId,
  Quantity: z.number().nonnegative().nullish(),
  StartDate: isoDate.nullish(),
  BilledUntil: isoDate.nullish(),
  EndDate: isoDate.nullish(),
  Memo: z.string().nullish(),
  ProductOverride: customFields.nullish(),
  CustomFields: customFields.nullish(),
});

const endSubscriptionBody = pascal({ Id: objectId.nullish(), EndDate: isoDate });

const usageBody = pascal({
  ComponentId: objectId,
  Quantity: z.number(),
  DueDate: isoDate.nullish(),
  Memo: z.string().nullish(),
  Key: z.string().nullish(),
});

const activeAt = (item: { StartDate: string; EndDate?: string | null }, when: number): boolean =>
  ms(item.StartDate) <= when && (!item.EndDate || ms(item.EndDate) > when);

const ofContract = <T extends { ContractId?: string }>(items: Iterable<T>, contract: Contract): T[] =>
  [...items].filter((item) => item.ContractId === contract.Id);

export function addonRoutes(app: FastifyInstance, api: Api): void {
  subscriptionsRoute(app, api);
  componentSubscriptionRoutes(app, api);
  discountSubscriptionRoutes(app, api);
  usageRoutes(app, api);
}

/**
 * What is active now under a contract. Shape [inferred]: billwerk documents only "active plan-variant,
 * component and discount subscriptions".
 */
function subscriptionsRoute(app: FastifyInstance, api: Api): void {
  const { state } = api;
  app.get<{ Params: IdParams }>('/contracts/:id/subscriptions', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    const now = api.now();
    return sendJson(request, reply, {
      PlanVariant: contract.LifecycleStatus === 'Ended' ? null : contract.CurrentPhase,
      ComponentSubscriptions: ofContract(state.componentSubscriptions.values(), contract).filter((item) =>
        activeAt(item, now),
      ),
      DiscountSubscriptions: ofContract(state.discountSubscriptions.values(), contract).filter((item) =>
        activeAt(item, now),
      ),
    });
  });
}

/** A contract's component subscriptions: list, add, and end one. */
function componentSubscriptionRoutes(app: FastifyInstance, api: Api): void {
  const { state } = api;
  app.get<{ Params: IdParams }>('/contracts/:id/componentsubscriptions', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    const found = ofContract(state.componentSubscriptions.values(), contract);
    return sendJson(request, reply, page(found, new Query(request.query)));
  });

  app.post<{ Params: IdParams }>('/contracts/:id/componentsubscriptions', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    const body = parseBody(subscriptionBody, request.body);
    const subscription = api.run((ctx) =>
      subscribeDirectly(ctx, contract, {
        ComponentId: body.ComponentId,
        Quantity: body.Quantity ?? 1,
        ...(body.StartDate != null ? { StartDate: body.StartDate } : {}),
        ...(body.BilledUntil != null ? { BilledUntil: body.BilledUntil } : {}),
        ...(body.EndDate != null ? { EndDate: body.EndDate } : {}),
        ...(body.Memo != null ? { Memo: body.Memo } : {}),
      }),
    );
    return sendJson(request, reply, subscription, 201);
  });

  app.put<{ Params: IdParams }>('/componentsubscriptions/:id', (request, reply) => {
    const subscription = state.componentSubscriptions.get(request.params.id.toLowerCase());
    if (!subscription) throw notFound('ComponentSubscription', request.params.id);
    const body = parseBody(endSubscriptionBody, request.body);
    if (body.Id && body.Id !== subscription.Id) throw unprocessable('Id in the body does not match the path');
    return sendJson(
      request,
      reply,
      api.run((ctx) => endDirectly(ctx, subscription, body.EndDate)),
    );
  });
}

/** A contract's discount subscriptions (listed only: no route adds one directly). */
function discountSubscriptionRoutes(app: FastifyInstance, { state }: Api): void {
  app.get<{ Params: IdParams }>('/contracts/:id/discountsubscriptions', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    const found = ofContract(state.discountSubscriptions.values(), contract);
    return sendJson(request, reply, page(found, new Query(request.query)));
  });
}

/** Metered usage: list (by due date), report, delete. */
function usageRoutes(app: FastifyInstance, api: Api): void {
  const { state } = api;
  app.get<{ Params: IdParams }>('/contracts/:id/usage', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    const query = new Query(request.query);
    const from = query.date('fromDateTime') ?? Number.NEGATIVE_INFINITY;
    const until = query.date('untilDateTime') ?? Number.POSITIVE_INFINITY;
    const found = ofContract(state.usages.values(), contract).filter(
      (usage) => ms(usage.DueDate) >= from && ms(usage.DueDate) <= until,
    );
    return sendJson(request, reply, page(found, query));
  });

  app.post<{ Params: IdParams }>('/contracts/:id/usage', (request, reply) => {
    const contract = contractOf(state, request.params.id);
    const body = parseBody(usageBody, request.body);
    const usage = api.run((ctx) =>
      recordUsage(ctx, contract, {
        ComponentId: body.ComponentId,
        Quantity: body.Quantity,
        DueDate: iso(body.DueDate ?? ctx.now),
        ...(body.Memo != null ? { Memo: body.Memo } : {}),
        ...(body.Key != null ? { Key: body.Key } : {}),
      }),
    );
    return sendJson(request, reply, usage);
  });

  app.delete<{ Params: IdParams & { usageId: string } }>(
    '/contracts/:id/usage/:usageId',
    (request, reply) => {
      const contract = contractOf(state, request.params.id);
      deleteUsage(state, contract, request.params.usageId);
      return reply.code(204).send();
    },
  );
}
