// Spans for HTTP GraphQL operations (`query ContractsPage`) with the billwerk calls they caused as children
// (`GET /customers/:id`). Installed only when tracing is configured (telemetry.ts). The parent is passed
// explicitly through the request scope, so no global context manager is needed.
import { type ApolloServerPlugin } from '@apollo/server';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions';
import { type UpstreamCallInfo } from '../billwerk/client.js';
import { outcomeOf } from './metrics.js';
import { currentRequestScope } from './request-scope.js';

// Incubating semantic conventions are copied, as OpenTelemetry advises, not imported from the unstable entry.
const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
const ATTR_URL_TEMPLATE = 'url.template';
const ATTR_ERROR_TYPE = 'error.type';

/**
 * A billwerk call reported after it finished, as a client span under `parent`. Its path is the template
 * (`/contracts/:id`), so no id, query value or secret becomes an attribute.
 */
export function recordUpstreamSpan(tracer: Tracer, parent: Span, info: UpstreamCallInfo): void {
  const end = Date.now();
  const template = info.endpoint;
  const span = tracer.startSpan(
    `${info.method} ${template}`,
    {
      kind: SpanKind.CLIENT,
      startTime: end - info.durationMs,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: info.method,
        [ATTR_URL_TEMPLATE]: template,
        'billwerk.attempt': info.attempt,
        ...(info.status > 0 ? { [ATTR_HTTP_RESPONSE_STATUS_CODE]: info.status } : {}),
      },
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  if (info.status === 0 || info.status >= 400) {
    span.setAttribute(ATTR_ERROR_TYPE, info.status === 0 ? 'no_response' : String(info.status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end(end);
}

/** One span per HTTP GraphQL operation, named `<type> <name>` once the document has been resolved. */
export function tracingPlugin(tracer: Tracer): ApolloServerPlugin {
  return {
    requestDidStart() {
      const span = tracer.startSpan('graphql', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
      const scope = currentRequestScope();
      if (scope) scope.onUpstreamCall = (info) => recordUpstreamSpan(tracer, span, info);
      return Promise.resolve({
        didResolveOperation({ operationName, operation }) {
          const type = operation?.operation ?? 'graphql';
          span.updateName(operationName ? `${type} ${operationName}` : type);
          span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, type);
          if (operationName) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, operationName);
          return Promise.resolve();
        },
        willSendResponse(requestContext) {
          const body = requestContext.response.body;
          const outcome = outcomeOf(
            body.kind === 'single' ? body.singleResult.errors : requestContext.errors,
          );
          if (outcome !== 'ok') {
            span.setAttribute(ATTR_ERROR_TYPE, outcome);
            span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          }
          span.end();
          return Promise.resolve();
        },
      });
    },
  };
}
