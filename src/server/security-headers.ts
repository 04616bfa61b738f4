// Security headers on every response (@fastify/helmet): a Content-Security-Policy that lets the gateway's
// own pages load same-origin scripts and open a WebSocket to the same host, and a variant for GraphiQL at
// /graphql whose editor sets inline styles.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * Pages served by the gateway itself (the dashboard at /) load scripts, styles and data from their own
 * origin only. `connect-src 'self'` covers fetch to /graphql and, as CSP Level 3 defines 'self', the
 * WebSocket to ws(s)://<same host>/graphql. No `upgrade-insecure-requests`: on a plain-HTTP local gateway it
 * would send the page's own requests to an https port that does not exist.
 */
export const GATEWAY_CSP: Readonly<Record<string, string[]>> = Object.freeze({
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
});

/**
 * GraphiQL at GET /graphql (web/graphiql.html) loads only same-origin files too, Monaco's workers included.
 * Its editor (Monaco) and React set styles at run time and its icon fonts are data: URLs, so styles may be
 * inline and fonts data: URLs; scripts stay same-origin only.
 */
export const GRAPHIQL_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self'",
].join('; ');

/**
 * The headers @fastify/helmet sets with `options`, read once from a throwaway instance that routes one
 * request built in memory (no connection, no port). The plugin builds a new helmet middleware, parsing the CSP
 * directives again, on every request through two hooks, one of them async; the headers never vary here
 * (no per-response nonces), so they are computed once instead.
 */
export async function helmetHeaders(options: FastifyHelmetOptions): Promise<Record<string, string>> {
  const probe = Fastify();
  try {
    await probe.register(helmet, options);
    const seen = new Promise<Record<string, unknown>>((resolve) => {
      probe.get('/', (_request, reply) => {
        resolve(reply.getHeaders());
        return '';
      });
    });
    await probe.ready();
    const request = new IncomingMessage(new Socket());
    request.method = 'GET';
    request.url = '/';
    probe.routing(request, new ServerResponse(request));
    const headers = await seen;
    return Object.fromEntries(
      Object.entries(headers).flatMap(([name, value]) =>
        typeof value === 'string'
          ? [[name, value]]
          : typeof value === 'number'
            ? [[name, String(value)]]
            : [],
      ),
    );
  } finally {
    await probe.close();
  }
}

/** Sets helmet's headers on every response of `app`; call before the routes are registered. */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  const headers = await helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { ...GATEWAY_CSP } },
  });
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html') && isGraphqlPath(request.url)) {
      void reply.header('content-security-policy', GRAPHIQL_CSP);
    }
    done(null, payload);
  });
}

const isGraphqlPath = (url: string) => url === '/graphql' || url.startsWith('/graphql?');
