// REST routes for webhook registrations (resources.md "Webhook registration"): list, create, delete.
// `Auth` is an emulator-only extension: billwerk sets outgoing auth in its admin UI, not over the API.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { WebhookRegistration } from '../../billwerk/dto.js';
import { notFound, unprocessable } from '../errors.js';
import { Query, parseBody, pascal } from '../input.js';
import { page } from '../paging.js';
import { type StoredWebhook } from '../store.js';
import { sendJson, type Api, type IdParams } from '../http/api.js';

const registrationBody = pascal({
  Url: z.string(),
  Events: z.array(z.string()).nullish(),
  Auth: pascal({ Type: z.literal('Basic'), User: z.string(), Password: z.string() }).nullish(),
});

/** The API shape: the Auth password is never echoed. */
const view = ({ Id, Url, Events }: StoredWebhook): WebhookRegistration => ({ Id, Url, Events });

export function webhookRoutes(app: FastifyInstance, api: Api): void {
  const { state } = api;

  app.get('/webhooks', (request, reply) =>
    sendJson(request, reply, page([...state.webhooks.values()], new Query(request.query)).map(view)),
  );

  app.get<{ Params: IdParams }>('/webhooks/:id', (request, reply) => {
    const registration = state.webhooks.get(request.params.id.toLowerCase());
    if (!registration) throw notFound('Webhook', request.params.id);
    return sendJson(request, reply, view(registration));
  });

  app.post('/webhooks', (request, reply) => {
    const body = parseBody(registrationBody, request.body);
    let url: URL;
    try {
      url = new URL(body.Url);
    } catch {
      throw unprocessable('Url must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw unprocessable('Url must be an absolute http(s) URL');
    const registration = api.run((ctx): StoredWebhook => {
      const stored: StoredWebhook = {
        Id: ctx.ids.next(ctx.now),
        Url: body.Url,
        Events: body.Events ?? [],
        ...(body.Auth ? { Auth: body.Auth } : {}),
      };
      ctx.state.webhooks.set(stored.Id, stored);
      return stored;
    });
    return sendJson(request, reply, view(registration));
  });

  app.delete<{ Params: IdParams }>('/webhooks/:id', (request, reply) => {
    if (!state.webhooks.delete(request.params.id.toLowerCase())) throw notFound('Webhook', request.params.id);
    return reply.code(204).send();
  });
}
