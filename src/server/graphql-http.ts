// GraphQL over HTTP at /graphql: Apollo Server inside Fastify. The context function authenticates the
// caller and runs the one admission (admission.ts) before Apollo parses; Apollo's plugins then price the
// operation (query-cost.ts), count and trace it, and serve subscriptions as multipart HTTP.
import { Readable } from 'node:stream';
import {
  ApolloServer,
  HeaderMap,
  type ApolloServerPlugin,
  type HTTPGraphQLRequest,
  type PersistedQueryOptions,
} from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { type Tracer } from '@opentelemetry/api';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type GraphQLFormattedError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { type Authenticate } from '../auth/authenticate.js';
import { type Principal } from '../auth/principal.js';
import { type GraphQLContext } from '../graphql/context.js';
import { ErrorCode, toGraphQLError } from '../graphql/errors.js';
import { type Logger } from '../logger.js';
import { type Admission } from './admission.js';
import { type Contexts } from './contexts.js';
import { type HttpSubscriptions } from './http-subscriptions.js';
import { type GatewayMetrics } from './metrics.js';
import { queryCostPlugin } from './query-cost.js';
import { rateLimitedHttpError } from './rate-limit.js';
import { requestScopeOf, requestScopePlugin } from './request-scope.js';
import { tracingPlugin } from './tracing.js';

export interface GraphqlHttpOptions {
  schema: GraphQLSchema;
  rules: readonly ValidationRule[];
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  introspection: boolean;
  stackTraces: boolean;
  /** Automatic persisted queries' cache. @default Apollo Server's, in memory */
  persistedQueries?: PersistedQueryOptions;
  authenticate: Authenticate;
  admission: Admission;
  contexts: Contexts;
  metrics: GatewayMetrics;
  httpSubscriptions: HttpSubscriptions;
  tracer?: Tracer;
}

/** The `query` and `operationName` of a GraphQL POST body, or else of a GET query string. */
function operationOf(request: { body?: unknown; query?: unknown }): {
  query: string;
  operationName?: string;
} {
  for (const source of [request.body, request.query]) {
    if (typeof source !== 'object' || source === null) continue;
    const { query, operationName } = source as { query?: unknown; operationName?: unknown };
    if (typeof query !== 'string') continue;
    return { query, operationName: typeof operationName === 'string' ? operationName : undefined };
  }
  return { query: '' };
}

/**
 * Apollo's view of a Fastify request. Node's header names are lower case already; a repeated header is
 * joined with ", " as in @as-integrations/fastify. The query string is read off the request line as
 * `new URL(…).search` would give it (without a fragment, '' for a bare "?"), for Apollo's GET handling.
 */
function graphqlRequestOf(request: FastifyRequest): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  const raw = request.headers;
  for (const name in raw) {
    const value = raw[name];
    if (value) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const { url } = request;
  const hash = url.indexOf('#');
  const path = hash < 0 ? url : url.slice(0, hash);
  const question = path.indexOf('?');
  const search = question < 0 || question === path.length - 1 ? '' : path.slice(question);
  return { method: request.method, headers, search, body: request.body };
}

/** Registers /graphql; resolves once Apollo Server has started. Its `stop` drains operations in flight. */
export async function registerGraphqlHttp(
  app: FastifyInstance,
  options: GraphqlHttpOptions,
): Promise<ApolloServer<GraphQLContext>> {
  const { authenticate, admission, contexts, httpSubscriptions } = options;
  const plugins: ApolloServerPlugin<GraphQLContext>[] = [
    fastifyApolloDrainPlugin(app),
    options.metrics.apolloPlugin,
    requestScopePlugin,
    httpSubscriptions.plugin,
    queryCostPlugin,
    ...(options.tracer ? [tracingPlugin(options.tracer)] : []),
    // Browsers get the self-hosted GraphiQL at GET /graphql (dashboard.ts), not Apollo's CDN-hosted page.
    ApolloServerPluginLandingPageDisabled(),
    // No HTTP cache hints are served, so skip the per-field cache-policy bookkeeping.
    ApolloServerPluginCacheControlDisabled(),
  ];
  const apollo = new ApolloServer<GraphQLContext>({
    schema: options.schema,
    persistedQueries: options.persistedQueries,
    introspection: options.introspection,
    includeStacktraceInErrorResponses: options.stackTraces,
    formatError: options.formatError,
    validationRules: [...options.rules],
    plugins,
    // The gateway owns shutdown (main.ts closes every part in order). Apollo's own SIGINT/SIGTERM handler
    // would stop it a second time, concurrently, and a second stop() that meets the first one still draining
    // waits for ever: the gateway then hung until SHUTDOWN_TIMEOUT_MS and exited 1.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const context = async (request: FastifyRequest, reply: FastifyReply): Promise<GraphQLContext> => {
    let principal: Principal;
    try {
      principal = await authenticate(request.headers.authorization);
      const scope = requestScopeOf(request);
      if (scope) scope.principalId = principal.id;
    } catch (error) {
      // Answered 401 with the GraphQL error shape; the credentials presented are never logged.
      throw toGraphQLError(error as Error);
    }
    const refused = await admission(principal, request.ip, operationOf(request));
    if (refused)
      throw refused.code === ErrorCode.RATE_LIMITED ? rateLimitedHttpError(refused) : toGraphQLError(refused);
    const context = contexts.forRequest(
      principal,
      request.id,
      request.log as unknown as Logger,
      request.headers,
    );
    httpSubscriptions.bindReply(context, reply);
    return context;
  };
  // What @as-integrations/fastify's route does, less its per-request costs: it parses the whole URL
  // with `new URL` (and the Host header) to read the query string, and copies the headers through
  // Object.entries; its request conversion alone was 8% of the one-contract query's profiled CPU time.
  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/graphql',
    handler: async (request, reply) => {
      const { headers, body, status } = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: graphqlRequestOf(request),
        context: () => context(request, reply),
      });
      for (const [name, value] of headers) void reply.header(name, value);
      void reply.code(status ?? 200);
      if (body.kind === 'complete') return body.string;
      return reply.send(Readable.from(body.asyncIterator));
    },
  });
  return apollo;
}
