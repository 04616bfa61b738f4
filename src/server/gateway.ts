// The gateway's HTTP server: Fastify hosting Apollo Server at /graphql and the health endpoint.
// `createGateway` starts listening and returns `{ url, close }`; nothing happens at import time.
import { randomUUID } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { type BillwerkClient } from '../billwerk/client.js';
import { type Config } from '../config.js';
import { type GraphQLContext } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import { createLoaders } from '../loaders/loaders.js';
import { createPages } from '../loaders/pages.js';
import { createReader } from '../loaders/reader.js';
import { createSharedCache, type SharedCache, type SharedCacheOptions } from '../loaders/shared-cache.js';
import { buildGatewaySchema } from '../graphql/schema.js';
import { type Logger } from '../logger.js';
import { registerHealth } from './health.js';

export interface GatewayOptions {
  config: Config;
  billwerk: BillwerkClient;
  logger: Logger;
  /** TTLs and size of the shared entity cache. @default createSharedCache's defaults */
  cacheOptions?: SharedCacheOptions;
}

export interface Gateway {
  /** Base URL, e.g. http://127.0.0.1:4000; GraphQL is at `${url}/graphql`. */
  readonly url: string;
  /** The shared entity cache (webhook ingestion invalidates through it). */
  readonly cache: SharedCache;
  close(): Promise<void>;
}

export async function createGateway({
  config,
  billwerk,
  logger,
  cacheOptions,
}: GatewayOptions): Promise<Gateway> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; without the cast Fastify infers Logger<never> as its logger
    // generic and the Apollo plugin no longer type-checks (the lint rule cannot see that).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    disableRequestLogging: true,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    },
  });
  registerHealth(app);
  const cache = createSharedCache(cacheOptions);
  const reader = createReader(billwerk, cache);

  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildGatewaySchema(),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: !config.production,
    formatError,
    plugins: [fastifyApolloDrainPlugin(app)],
  });
  await apollo.start();
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    context: (request) => {
      const loaders = createLoaders(reader);
      return Promise.resolve({
        loaders,
        pages: createPages(reader, loaders),
        requestId: request.id,
        logger: request.log as unknown as Logger,
      });
    },
  });

  await app.listen({ port: config.port, host: config.host });
  const { port } = app.server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    cache,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    async close() {
      // Apollo's drain plugin waits for in-flight operations before Fastify closes the listener.
      await apollo.stop();
      await app.close();
    },
  };
}
