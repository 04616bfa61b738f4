// The gateway's Fastify instance with what every route shares: request ids, security headers, the request
// log, /metrics, the dashboard at / and health at /healthz and /readyz. Routes are added by their owners.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { type Config } from '../config.js';
import { type Logger } from '../logger.js';
import { registerDashboard, type DashboardOptions } from './dashboard.js';
import { registerHealth, type Readiness } from './health.js';
import { registerMetricsRoute, type GatewayMetrics } from './metrics.js';
import { registerRequestLog } from './request-scope.js';
import { registerSecurityHeaders } from './security-headers.js';

export interface HttpAppOptions {
  config: Pick<Config, 'metricsEnabled'>;
  logger: Logger;
  metrics: GatewayMetrics;
  readiness: () => Promise<Readiness>;
  /** Whether operations are traced (the request log then carries trace ids). */
  traced: boolean;
  dashboard: DashboardOptions;
}

export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const { logger } = options;
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; without the cast Fastify infers Logger<never> as its logger
    // generic and the helpers taking a FastifyInstance no longer type-check (the lint rule cannot see that).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Fastify's own line per request is off: it knows no operation names, so it would only add noise.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    },
  });
  endConnectionsOnceClosing(app);
  await registerSecurityHeaders(app);
  if (options.config.metricsEnabled) registerMetricsRoute(app, options.metrics);
  registerRequestLog(app, { logger: logger.child({ component: 'graphql' }), traced: options.traced });
  registerDashboard(app, options.dashboard);
  registerHealth(app, options.readiness);
  return app;
}

/**
 * A request answered after closing began ends its connection. Closing ends only the keep-alive connections
 * idle at that moment; one whose request (a webhook being stored) is answered later would stay open until
 * its keep-alive timeout, and Apollo's drain would wait 10 s for it, past SHUTDOWN_TIMEOUT_MS.
 */
function endConnectionsOnceClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // A callback hook, not an async one: it runs on every response, and most do nothing.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
