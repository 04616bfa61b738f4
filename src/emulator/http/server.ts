// The emulator's HTTP server: fastify with billwerk's conventions (case-insensitive paths, JSON bodies,
// `{"Message":…}` errors), fault injection, request log, latency, and the route modules mounted.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { clockCore, type EmulatorClock } from '../clock.js';
import { EmulatorError, badRequest } from '../errors.js';
import { type TokenStore } from '../tokens.js';
import { addonRoutes } from '../routes/addons.js';
import { catalogueRoutes } from '../routes/catalogue.js';
import { contractRoutes } from '../routes/contracts.js';
import { customerRoutes } from '../routes/customers.js';
import { invoiceRoutes } from '../routes/invoices.js';
import { orderRoutes } from '../routes/orders.js';
import { webhookRoutes } from '../routes/webhooks.js';
import { adminRoutes } from './admin.js';
import { type Api } from './api.js';
import { type FaultInjector } from './faults.js';
import { oauthRoutes, requireToken, type Credentials } from './oauth.js';
import { isLogged, type RequestLog } from './requests.js';

export interface ServerDeps {
  api: Api;
  clock: EmulatorClock;
  credentials: Credentials;
  tokens: TokenStore;
  faults: FaultInjector;
  requests: RequestLog;
  latencyMs: number;
  logger: Logger;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const pathOf = (url: string): string => url.split('?')[0] ?? url;
const isAdmin = (path: string): boolean => path.toLowerCase().startsWith('/emulator/');

/** Bodies: JSON whatever the content type (an empty body is none), form fields for OAuth. */
function parseBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, text, done) => {
    const body = typeof text === 'string' ? text : text.toString('utf8');
    if (body.trim() === '') return done(null, undefined);
    if (
      (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')
    ) {
      return done(null, Object.fromEntries(new URLSearchParams(body)));
    }
    try {
      done(null, JSON.parse(body) as unknown);
    } catch {
      done(badRequest('The request body is not valid JSON'), undefined);
    }
  });
}

function errorBodies(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError | EmulatorError, _request, reply) => {
    if (error instanceof EmulatorError) return reply.code(error.status).send(error.body);
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) logger.error({ err: error }, 'emulator request failed');
    return reply.code(status).send({ Message: status >= 500 ? 'An internal error occurred' : error.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ Message: `No endpoint ${request.method} ${pathOf(request.url)}` }),
  );
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  // No fastify logger: per-request logs would drown the emulator's own; errors are logged below.
  const app = Fastify({
    // billwerk's docs spell paths in varying case (README.md "Conventions") [inferred].
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    bodyLimit: 1024 * 1024,
  });
  parseBodies(app);
  errorBodies(app, deps.logger);

  app.addHook('onResponse', (request, reply, done) => {
    const [path = '', query = ''] = request.url.split(/\?(.*)/s);
    if (isLogged(path)) {
      deps.requests.record({ method: request.method, path, query, status: reply.statusCode, at: Date.now() });
    }
    done();
  });

  // Answers held by a fault rule until its promise settles (faults.ts `holdAnswer`).
  const held = new WeakMap<object, Promise<unknown>>();
  app.addHook('onSend', async (request, _reply, payload) => {
    const hold = held.get(request);
    if (hold) await hold.catch(() => undefined);
    return payload;
  });

  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request.url);
    if (isAdmin(path)) return;
    const fault = deps.faults.take(request.method, path);
    fault?.onArrival?.();
    if (fault?.holdAnswer) held.set(request, fault.holdAnswer);
    if (fault?.delayMs) await delay(fault.delayMs);
    if (fault?.status !== undefined) {
      const body = fault.body ?? (fault.status >= 400 ? { Message: 'Injected fault' } : undefined);
      reply.code(fault.status).headers(fault.headers ?? {});
      return body === undefined
        ? reply.send()
        : reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
    }
    if (deps.latencyMs > 0 && isLogged(path)) await delay(deps.latencyMs);
  });

  await app.register((admin, _options, done) => {
    adminRoutes(admin, deps);
    done();
  });
  oauthRoutes(app, deps.credentials, deps.tokens);
  await app.register(
    (rest, _options, done) => {
      rest.addHook('onRequest', (request, _reply, next) => {
        try {
          requireToken(request, deps.tokens);
          // Work that fell due since the last tick happens before the request reads or writes.
          clockCore(deps.clock).catchUp();
          next();
        } catch (error) {
          next(error as Error);
        }
      });
      customerRoutes(rest, deps.api);
      contractRoutes(rest, deps.api);
      addonRoutes(rest, deps.api);
      orderRoutes(rest, deps.api);
      catalogueRoutes(rest, deps.api);
      invoiceRoutes(rest, deps.api);
      webhookRoutes(rest, deps.api);
      done();
    },
    { prefix: '/api/v1' },
  );
  return app;
}
