// REST routes for the catalogue (resources.md "Catalogue"): productInfo and each kind by list and id,
// with the documented filters. Read-only: the emulator's catalogue comes from seed.ts.
import type { FastifyInstance } from 'fastify';
import type { Id, ProductInfo } from '../../billwerk/dto.js';
import { notFound } from '../errors.js';
import { Query } from '../input.js';
import { page } from '../paging.js';
import { sendJson, type Api, type IdParams } from '../http/api.js';

export function catalogueRoutes(app: FastifyInstance, api: Api): void {
  const { state } = api;

  /** GET /{path} (filtered, paged) and GET /{path}/{id}. */
  function resource<T extends { Id: Id }>(
    path: string,
    entity: string,
    items: Map<Id, T>,
    filter: (item: T, query: Query) => boolean = () => true,
  ): void {
    app.get(path, (request, reply) => {
      const query = new Query(request.query);
      return sendJson(
        request,
        reply,
        page(
          [...items.values()].filter((item) => filter(item, query)),
          query,
        ),
      );
    });
    app.get<{ Params: IdParams }>(`${path}/:id`, (request, reply) => {
      const item = items.get(request.params.id.toLowerCase());
      if (!item) throw notFound(entity, request.params.id);
      return sendJson(request, reply, item);
    });
  }

  const byGroup = (item: { PlanGroupId: Id }, query: Query): boolean => {
    const groupId = query.string('planGroupId')?.toLowerCase();
    return groupId === undefined || item.PlanGroupId === groupId;
  };

  app.get('/productInfo', (request, reply) => {
    const info: ProductInfo = {
      PlanGroups: [...state.planGroups.values()],
      Plans: [...state.plans.values()],
      PlanVariants: [...state.planVariants.values()].filter((variant) => !variant.Hidden),
      Components: [...state.components.values()],
      Discounts: [...state.discounts.values()],
      Coupons: [...state.coupons.values()],
    };
    return sendJson(request, reply, info);
  });

  resource('/planGroups', 'PlanGroup', state.planGroups);
  resource('/plans', 'Plan', state.plans, byGroup); // planGroupId [inferred]
  resource('/planVariants', 'PlanVariant', state.planVariants, (variant, query) => {
    const planId = query.string('planId')?.toLowerCase();
    const externalId = query.string('externalId');
    return (
      (planId === undefined || variant.PlanId === planId) &&
      (externalId === undefined || variant.ExternalId === externalId) &&
      (!variant.Hidden || query.boolean('showHidden') === true)
    );
  });
  resource('/components', 'Component', state.components, (component, query) => {
    const search = query.string('search')?.toLowerCase();
    const name = (component.Name._c ?? '').toLowerCase();
    return byGroup(component, query) && (search === undefined || name.includes(search));
  });
  resource('/discounts', 'Discount', state.discounts, byGroup);
  resource('/coupons', 'Coupon', state.coupons, byGroup);
}
