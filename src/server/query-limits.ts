// Query limits for HTTP and graphql-ws alike: document size and tokens before parsing, then graphql-armor's
// depth, alias and directive rules and our list-aware cost rule at validation. A refused document gets
// QUERY_TOO_COMPLEX. Also the production switches: no introspection, no "Did you mean" hints.
// The package is CommonJS whose entry picks a build at run time, so its names come off the default export.
import graphqlArmor from '@escape.tech/graphql-armor';
import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  Lexer,
  NoSchemaIntrospectionCustomRule,
  Source,
  TokenKind,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../graphql/connection.js';
import { ErrorCode, GatewayError } from '../graphql/errors.js';

/**
 * graphql-armor's defaults, which DESIGN.md adopts. Depth excepts introspection (`__schema` fields only) and
 * is the depth of the response: a fragment spread adds no level of its own, its selections are counted where
 * it is spread (otherwise the SDK's own fragment-based documents would count 7–9).
 */
export const QUERY_LIMITS = Object.freeze({
  maxDepth: 6,
  maxAliases: 15,
  maxDirectives: 50,
  maxTokens: 1000,
  maxCost: 5000,
  maxCharacters: 15_000,
});

const tooComplex = (message: string) => new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, message);

/**
 * Size and token count, checked before parsing so an oversized document costs no parse. The lexer stops
 * at the first token over the limit; a lexing error is left for the parser to report.
 */
export function checkDocumentSize(source: string): GatewayError | undefined {
  if (source.length > QUERY_LIMITS.maxCharacters) {
    return tooComplex(`The document is longer than ${QUERY_LIMITS.maxCharacters} characters.`);
  }
  const lexer = new Lexer(new Source(source));
  let tokens = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      tokens += 1;
      if (tokens > QUERY_LIMITS.maxTokens) {
        return tooComplex(`The document has more than ${QUERY_LIMITS.maxTokens} tokens.`);
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** armor's rules report through this instead of throwing, so each refusal carries our code. */
const report = [
  (context: ValidationContext | null, error: GraphQLError) => {
    const message = error.message.replace(/^Syntax Error: /, '');
    context?.reportError(new GraphQLError(message, { originalError: tooComplex(message) }));
  },
];
const common = { onReject: report, propagateOnRejection: false, exposeLimits: true };

const armor = new graphqlArmor.ApolloArmor({
  maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...common },
  maxAliases: { n: QUERY_LIMITS.maxAliases, allowList: [], ...common },
  maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...common },
  // armor's cost counts `first`/`last` only as literals and not at all when absent: costRule replaces it.
  costLimit: { enabled: false },
  // Tokens are counted by checkDocumentSize, for graphql-ws as well.
  maxTokens: { enabled: false },
  // Its Apollo plugin sees HTTP only; hideSuggestionsRule covers graphql-ws as well.
  blockFieldSuggestion: { enabled: false },
});
const armorRules = armor.protect().validationRules;

/** Introspection fields cost nothing: they read the schema, never billwerk. */
const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/**
 * The cost budget with list sizes counted, as graphql-query-complexity's estimators do it: a field costs 1
 * plus what it selects, and a paged field (one with a `first` or `last` argument) multiplies what it selects
 * by the page size it asks for. Without the argument that is the default page size; from a variable, the
 * variable's default or else the largest page a caller may ask for, since validation runs before variables
 * are known. Plain lists (a contract's phases, a plan's variants) count once: their length is billwerk's
 * data, not the caller's choice. Fragments are expanded where they are spread (a named fragment is costed
 * once per type and reused), so neither fragments nor a fragment named `__schema` hide cost.
 */
export function costRule(maxCost: number = QUERY_LIMITS.maxCost): ValidationRule {
  return (context) => {
    const schema = context.getSchema();
    const fragmentCosts = new Map<string, number>();
    const inProgress = new Set<string>();

    function pageSize(
      field: FieldNode,
      definition: GraphQLField<unknown, unknown>,
      operation: OperationDefinitionNode,
    ): number {
      const paged = definition.args.some((arg) => arg.name === 'first' || arg.name === 'last');
      if (!paged) return 1;
      const argument = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
      if (!argument) return DEFAULT_PAGE_SIZE;
      let value: ValueNode | undefined = argument.value;
      if (value.kind === Kind.VARIABLE) {
        const name = value.name.value;
        value = operation.variableDefinitions?.find((v) => v.variable.name.value === name)?.defaultValue;
        if (value === undefined) return MAX_PAGE_SIZE;
      }
      if (value.kind === Kind.NULL) return DEFAULT_PAGE_SIZE;
      if (value.kind !== Kind.INT) return MAX_PAGE_SIZE;
      return Math.max(1, Number.parseInt(value.value, 10));
    }

    function selectionsCost(
      selectionSet: SelectionSetNode | undefined,
      parent: GraphQLNamedType,
      operation: OperationDefinitionNode,
    ): number {
      if (!selectionSet) return 0;
      let cost = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const name = selection.name.value;
          if (INTROSPECTION_FIELDS.has(name)) continue;
          const definition =
            isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
          // Unknown fields are FieldsOnCorrectTypeRule's to report; they cost what they would.
          if (!definition) {
            cost += 1;
            continue;
          }
          const inner = selectionsCost(selection.selectionSet, getNamedType(definition.type), operation);
          cost += 1 + pageSize(selection, definition, operation) * inner;
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
          cost += selectionsCost(selection.selectionSet, type ?? parent, operation);
        } else {
          cost += fragmentCost(selection.name.value, operation);
        }
      }
      return cost;
    }

    function fragmentCost(name: string, operation: OperationDefinitionNode): number {
      const known = fragmentCosts.get(name);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      // A cycle is NoFragmentCyclesRule's to report; unknown fragments KnownFragmentNamesRule's.
      if (!fragment || inProgress.has(name)) return 0;
      const type = schema.getType(fragment.typeCondition.name.value);
      if (!type) return 0;
      inProgress.add(name);
      const cost = selectionsCost(fragment.selectionSet, type, operation);
      inProgress.delete(name);
      // A variable's default can differ between operations: only costs that used none are shared.
      if (!operation.variableDefinitions?.length) fragmentCosts.set(name, cost);
      return cost;
    }

    return {
      OperationDefinition(operation) {
        const root = schema.getRootType(operation.operation);
        if (!root) return;
        const cost = selectionsCost(operation.selectionSet, root, operation);
        if (cost > maxCost) {
          const message = `The query's cost of ${cost} is over the budget of ${maxCost}; ask for smaller pages (first) or fewer nested lists.`;
          context.reportError(
            new GraphQLError(message, { nodes: [operation], originalError: tooComplex(message) }),
          );
        }
      },
    };
  };
}

/** graphql's "Did you mean …?" hints name fields, types and arguments the schema has. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * Drops the schema hints from validation errors (on HTTP and graphql-ws), so a caller with introspection
 * off cannot rebuild the schema from misspellings. It wraps the context's reporter, which every rule calls,
 * so it needs no place in the rule order.
 */
export const hideSuggestionsRule: ValidationRule = (context) => {
  const reportError = context.reportError.bind(context);
  context.reportError = (error: GraphQLError) => {
    const message = error.message.replace(SUGGESTION, '');
    if (message === error.message) {
      reportError(error);
      return;
    }
    reportError(
      new GraphQLError(message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError: error.originalError,
        extensions: error.extensions,
      }),
    );
  };
  return {};
};

export interface QueryRuleOptions {
  /** Serve the schema to introspection queries (INTROSPECTION; off in production). */
  introspection: boolean;
  /** Keep graphql's "Did you mean …?" hints in validation errors (on when introspection is). */
  suggestions: boolean;
}

/** The validation rules added to graphql's own, on HTTP and graphql-ws. */
export function queryRules(options: QueryRuleOptions): readonly ValidationRule[] {
  return [
    ...armorRules,
    costRule(),
    // Apollo adds this itself when introspection is off; graphql-ws, which also runs queries, does not.
    ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
    ...(options.suggestions ? [] : [hideSuggestionsRule]),
  ];
}

/** The rules with introspection and suggestions on (development). */
export const limitRules: readonly ValidationRule[] = queryRules({ introspection: true, suggestions: true });
