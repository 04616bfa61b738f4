// A destination's subscription document: checked once when it is set (one subscription operation over
// contractChanged or billwerkEvents, valid against the schema and the query limits, variables coerced),
// then followed for as long as the destination exists: every event it selects is executed as the
// destination's owner and its result kept as the delivery's body.
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { type StoredEvent } from '../events/event-log.js';
import { DestinationError } from './errors.js';

/** The subscriptions a destination may follow. */
export const DESTINATION_FIELDS = ['contractChanged', 'billwerkEvents'] as const;

/** Variables that position a subscription: the destination keeps its own position. */
const POSITION = 'after';

export interface CompiledDocument {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
}

const invalid = (field: 'query' | 'variables', message: string) =>
  new DestinationError('invalid', `${field}: ${message}`, field);

/** Parses and checks a destination's document and variables; throws DestinationError (invalid). */
export function compileDocument(
  schema: GraphQLSchema,
  rules: readonly ValidationRule[],
  query: string,
  variables: Record<string, unknown> | null | undefined,
): CompiledDocument {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    throw invalid('query', error instanceof GraphQLError ? error.message : 'cannot be parsed.');
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) throw invalid('query', 'must hold exactly one operation.');
  const errors = validate(schema, document, [...specifiedRules, ...rules]);
  if (errors.length > 0) throw invalid('query', errors[0]!.message);
  const operation = getOperationAST(document)!;
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION)
    throw invalid('query', 'must be a subscription.');
  const root = operation.selectionSet.selections;
  const field = root.length === 1 && root[0]!.kind === Kind.FIELD ? root[0] : undefined;
  if (!field || !(DESTINATION_FIELDS as readonly string[]).includes(field.name.value)) {
    throw invalid('query', `must subscribe to one of ${DESTINATION_FIELDS.join(', ')}.`);
  }
  if (field.arguments?.some((a) => a.name.value === POSITION)) {
    throw invalid('query', '`after` is not allowed: a destination keeps its own position in the event log.');
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) throw invalid('variables', coerced.errors[0]!.message);
  return { document, operation, variables: variables ?? {} };
}

export interface FollowOptions {
  schema: GraphQLSchema;
  compiled: CompiledDocument;
  /** The context events are executed in: the owner's, whose `events` starts where the destination stands. */
  contextValue: unknown;
  /** The text of a result, as subscribers receive it (errors formatted). */
  serialise: (result: ExecutionResult) => string;
  /** Takes one selected event with its body in; the next event waits until it resolves. */
  onEvent: (event: StoredEvent, body: string) => Promise<void>;
}

export interface Follower {
  /** Settles when following ends: stopped, or failed (then the caller starts again from the stored cursor). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

function isAsyncIterable(value: unknown): value is AsyncIterableIterator<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Follows the document: every selected event executed once, in publication order. */
export function followDocument(options: FollowOptions): Follower {
  const { schema, compiled, contextValue } = options;
  const args = {
    schema,
    document: compiled.document,
    variableValues: compiled.variables,
    contextValue,
  };
  let source: AsyncIterableIterator<unknown> | undefined;
  let stopped = false;
  const run = async () => {
    const created = await createSourceEventStream(args);
    if (!isAsyncIterable(created)) {
      const message = (created as ExecutionResult).errors?.[0]?.message ?? 'no event stream';
      throw new Error(`the destination's subscription did not start: ${message}`);
    }
    source = created;
    if (stopped) await created.return?.();
    for await (const payload of created) {
      const event = payload as StoredEvent;
      const result = await execute({ ...args, rootValue: event });
      await options.onEvent(event, options.serialise(result));
    }
  };
  const done = run();
  return {
    done,
    async stop() {
      stopped = true;
      await source?.return?.();
      await done.catch(() => undefined);
    },
  };
}
