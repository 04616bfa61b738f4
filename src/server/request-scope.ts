// What the gateway knows about one HTTP GraphQL request while it runs, kept in AsyncLocalStorage so the
// shared billwerk client can attribute its calls to the request that caused them, and the one log line per
// request written from it when the response has gone out.
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { type ApolloServerPlugin } from '@apollo/server';
import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Kind, type DocumentNode } from 'graphql';
import { type UpstreamCallInfo } from '../billwerk/client.js';
import { type Logger } from '../logger.js';
import { outcomeOf } from './metrics.js';

export interface RequestScope {
  /** `Principal.id` (`key:<id>`, `admin-key`, `customer:<id>`, `anonymous`): names the caller, proves nothing. */
  principalId?: string;
  operationName?: string;
  /** query, mutation or subscription, once the document parsed. */
  operationType?: string;
  /** ok, or the first error's code. */
  outcome?: string;
  /** billwerk calls made on behalf of this request, retries and token exchanges included. */
  upstreamCalls: number;
  /** Set by the tracing plugin when tracing is on: records the call as a child span of the operation. */
  onUpstreamCall?: (info: UpstreamCallInfo) => void;
}

const storage = new AsyncLocalStorage<RequestScope>();
const scopes = new WeakMap<FastifyRequest, { scope: RequestScope; resource: AsyncResource }>();

/** The scope of the request whose work is running now; undefined outside one (webhook enrichment, sockets). */
export const currentRequestScope = (): RequestScope | undefined => storage.getStore();

/** The scope of a request, for the hooks that run outside its async context (context building, logging). */
export const requestScopeOf = (request: FastifyRequest): RequestScope | undefined =>
  scopes.get(request)?.scope;

/**
 * Wraps the billwerk client's `onResponse`: counts the call against the request that caused it, then passes
 * it on. A read joined from another request's call in flight (shared cache) counts for the request that
 * started it, so each call is counted exactly once.
 */
export function attributeToRequest(
  next?: (info: UpstreamCallInfo) => void,
): (info: UpstreamCallInfo) => void {
  return (info) => {
    const scope = storage.getStore();
    if (scope) {
      scope.upstreamCalls += 1;
      scope.onUpstreamCall?.(info);
    }
    next?.(info);
  };
}

export interface RequestLogOptions {
  logger: Logger;
  /** Only requests to this path get a scope and a line. @default '/graphql' */
  path?: string;
  /** Traces are recorded (the tracing plugin reads the scope), so scopes are needed whatever the log level. */
  traced?: boolean;
}

/**
 * Opens a scope for each GraphQL request and logs one line when its response is sent: request id, caller,
 * operation, HTTP status, outcome, duration and billwerk calls. Never headers, variables or the document.
 */
export function registerRequestLog(app: FastifyInstance, options: RequestLogOptions): void {
  const path = options.path ?? '/graphql';
  const logger = options.logger;
  // On Node 20 the first AsyncLocalStorage.run installs promise hooks that then run for every promise of
  // the process (graphql's execution and undici's make many per request). With no line to write (the level
  // is above error, e.g. `silent`) and no trace to record, nothing reads a scope: leave it all out.
  if (!options.traced && !logger.isLevelEnabled('error')) return;
  const inScope = (request: FastifyRequest) => request.url === path || request.url.startsWith(`${path}?`);

  // The same technique as @fastify/request-context: enter the store in onRequest, and re-enter it before
  // the handler, because the body is read in stream callbacks that belong to no request's async context.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!inScope(request)) return done();
    const scope: RequestScope = { upstreamCalls: 0 };
    storage.run(scope, () => {
      const resource = new AsyncResource('graphql-request');
      scopes.set(request, { scope, resource });
      resource.runInAsyncScope(done, request.raw);
    });
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const entry = scopes.get(request);
    if (!entry) return done();
    entry.resource.runInAsyncScope(done, request.raw);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const entry = scopes.get(request);
    if (!entry) return done();
    const { scope } = entry;
    const status = reply.statusCode;
    const line = {
      reqId: request.id,
      method: request.method,
      principal: scope.principalId,
      operation: scope.operationName,
      operationType: scope.operationType,
      status,
      outcome: scope.outcome ?? (status === 401 ? 'UNAUTHENTICATED' : undefined),
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      upstreamCalls: scope.upstreamCalls,
    };
    if (status >= 500) logger.error(line, 'graphql request');
    else logger.info(line, 'graphql request');
    entry.resource.emitDestroy();
    scopes.delete(request);
    done();
  });
}

/** The name of a parsed document's only operation (a document that failed validation is never resolved). */
function operationNameIn(document: DocumentNode | undefined): string | undefined {
  const operations = document?.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION) ?? [];
  return operations.length === 1 ? operations[0]?.name?.value : undefined;
}

/** Copies the operation and its outcome into the request's scope (Apollo knows them, Fastify does not). */
export const requestScopePlugin: ApolloServerPlugin = {
  requestDidStart() {
    const scope = storage.getStore();
    if (!scope) return Promise.resolve();
    return Promise.resolve({
      didResolveOperation({ operationName, operation }) {
        scope.operationName = operationName ?? undefined;
        scope.operationType = operation?.operation;
        return Promise.resolve();
      },
      willSendResponse(requestContext) {
        const body = requestContext.response.body;
        scope.outcome = outcomeOf(body.kind === 'single' ? body.singleResult.errors : requestContext.errors);
        // A document that failed to parse or validate names no operation; keep what the client asked for.
        scope.operationName ??=
          requestContext.request.operationName ?? operationNameIn(requestContext.document);
        return Promise.resolve();
      },
    });
  },
};
