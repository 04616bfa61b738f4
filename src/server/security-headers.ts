// Security headers on every response (@fastify/helmet): a Content-Security-Policy that lets the gateway's
// own pages load same-origin scripts and open a WebSocket to the same host, and one that admits Apollo's
// explorer on the /graphql landing page only.
import helmet from '@fastify/helmet';
import { type FastifyInstance } from 'fastify';

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

const APOLLO_CDNS = [
  'https://apollo-server-landing-page.cdn.apollographql.com',
  'https://embeddable-sandbox.cdn.apollographql.com',
  'https://embeddable-explorer.cdn.apollographql.com',
];

/**
 * Apollo's landing page at GET /graphql (the embedded Sandbox in development, its static page in
 * production) loads from Apollo's CDNs and has inline scripts and styles. Those carry a per-response nonce
 * that Apollo also puts in a `<meta>` policy of its own; a browser enforces both policies, so the
 * 'unsafe-inline' here admits only the nonce-bearing inline code the meta policy allows.
 */
export const LANDING_PAGE_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' https://fonts.gstatic.com",
  "form-action 'self'",
  "frame-ancestors 'none'",
  'frame-src https://sandbox.embed.apollographql.com https://explorer.embed.apollographql.com',
  `img-src 'self' data: ${APOLLO_CDNS[0]}`,
  `manifest-src ${APOLLO_CDNS[0]}`,
  "object-src 'none'",
  `script-src 'self' 'unsafe-inline' ${APOLLO_CDNS.join(' ')}`,
  `style-src 'self' 'unsafe-inline' ${APOLLO_CDNS.join(' ')} https://fonts.googleapis.com`,
].join('; ');

/** Registers helmet on every route of `app`; call before the routes are registered. */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { ...GATEWAY_CSP } },
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (
      request.url.split('?')[0] === '/graphql' &&
      typeof type === 'string' &&
      type.startsWith('text/html')
    ) {
      void reply.header('content-security-policy', LANDING_PAGE_CSP);
    }
    return payload;
  });
}
