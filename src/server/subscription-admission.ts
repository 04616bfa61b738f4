// What every subscription transport (graphql-ws, Server-Sent Events, multipart HTTP) checks before anything
// runs, and the one fan-out they all deliver through: a caller's subscription costs the same admission and
// shares the same group execution and serialised payload whichever transport carries it.
import {
  type ExecutionArgs,
  type ExecutionResult,
  getOperationAST,
  GraphQLError,
  type GraphQLFormattedError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationTypeNode,
  type ValidationRule,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { type Principal } from '../auth/principal.js';
import { type StoredEvent } from '../events/event-log.js';
import { type GraphQLContext } from '../graphql/context.js';
import { formatError, toGraphQLError, withApolloCode } from '../graphql/errors.js';
import { type Admission } from './admission.js';
import { createFanout, type Fanout } from '../delivery/fanout.js';
import { admitOperation } from './query-cost.js';

export interface SubscriptionAdmissionOptions {
  schema: GraphQLSchema;
  /** Validation rules added to graphql's own (the query limits). @default none */
  validationRules?: readonly ValidationRule[];
  /** Formats every error sent, as Apollo's `formatError` does on HTTP. @default formatError (hints kept) */
  formatError?: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The checks every transport makes before parsing (admission.ts). @default none */
  admission?: Admission;
}

/** A GraphQL request as a transport received it (graphql-ws's subscribe payload, an SSE request's params). */
export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** Arguments ready to run, with the kind of operation they name. */
export type Prepared = ExecutionArgs & { operationType: OperationTypeNode };

export interface SubscriptionAdmission {
  /** Parse (once per text), validate (once per document), resolve the operation and price it. */
  prepare(request: OperationRequest): Prepared | readonly GraphQLError[];
  /** The transports' one admission (admission.ts), then `prepare`: the refusals carry HTTP's codes. */
  admit(
    principal: Principal,
    address: string | undefined,
    request: OperationRequest,
  ): Promise<Prepared | readonly GraphQLError[]>;
  /** Errors as they leave the gateway on every transport. */
  readonly formatAll: (errors: readonly GraphQLError[]) => GraphQLFormattedError[];
  /**
   * The one fan-out of every transport: executions and serialisations shared per group and event. A
   * transport takes delivery over by putting its writer in the execution arguments it subscribes with.
   */
  readonly fanout: Fanout;
}

/** Apollo's answer when the operation to run cannot be picked from the document. */
function unresolvable(operationName: string | null | undefined): GraphQLError {
  const message = operationName
    ? `Unknown operation named "${operationName}".`
    : 'Must provide operation name if query contains multiple operations.';
  return withApolloCode(new GraphQLError(message), 'OPERATION_RESOLUTION_FAILURE');
}

export function createSubscriptionAdmission(options: SubscriptionAdmissionOptions): SubscriptionAdmission {
  const { schema } = options;
  const rules = [...specifiedRules, ...(options.validationRules ?? [])];
  const documents = new LRUCache<string, DocumentNode>({ max: 500 });
  const validated = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const format = options.formatError ?? formatError;
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((error) => format(error.toJSON(), error));

  // Subscribers mostly send the same few documents: parse and validate each once, and share the syntax
  // tree (thousands of subscriptions would otherwise each keep a copy). A syntax error throws: graphql-ws
  // closes the socket with 4400 as it does for its own parse; the HTTP transports answer it.
  function parseOnce(text: string): DocumentNode {
    let document = documents.get(text);
    if (!document) {
      document = parse(text);
      documents.set(text, document);
    }
    return document;
  }
  function validateOnce(document: DocumentNode): readonly GraphQLError[] {
    let errors = validated.get(document);
    if (!errors) {
      errors = validate(schema, document, rules).map((e) => withApolloCode(e, 'GRAPHQL_VALIDATION_FAILED'));
      validated.set(document, errors);
    }
    return errors;
  }

  function prepare(request: OperationRequest): Prepared | readonly GraphQLError[] {
    const document = parseOnce(request.query);
    const invalid = validateOnce(document);
    if (invalid.length > 0) return invalid;
    const operation = getOperationAST(document, request.operationName);
    if (!operation) return [unresolvable(request.operationName)];
    const admission = admitOperation(schema, document, operation, request.variables);
    if (admission.kind === 'invalid-variables') {
      return admission.errors.map((e) => withApolloCode(e, 'BAD_USER_INPUT'));
    }
    if (admission.kind === 'too-complex') return [toGraphQLError(admission.error)];
    return {
      schema,
      document,
      operationName: request.operationName,
      variableValues: request.variables,
      operationType: operation.operation,
    };
  }

  async function admit(principal: Principal, address: string | undefined, request: OperationRequest) {
    const refused = await options.admission?.(principal, address, request);
    return refused ? [toGraphQLError(refused)] : prepare(request);
  }

  const fanout = createFanout({
    // A payload as graphql-ws would send it after `onNext`: errors formatted as on HTTP.
    serialise: (result: ExecutionResult) =>
      JSON.stringify(result.errors ? { ...result, errors: formatAll(result.errors) } : result),
    scopeOf: (context) => (context as GraphQLContext).principal.id,
    eventKey: (payload) => {
      const { publishedSeq, replayed } = payload as Partial<StoredEvent>;
      // A replayed copy renders differently (replayed: true): it must not share the original's result.
      return publishedSeq === undefined ? undefined : `${publishedSeq}${replayed ? ':replay' : ''}`;
    },
  });

  return {
    prepare,
    admit,
    formatAll,
    fanout,
  };
}
