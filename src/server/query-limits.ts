// Query limits for HTTP and graphql-ws alike: document size and tokens before parsing, then graphql-armor's
// depth, alias and directive rules at validation; the cost budget needs the variables (query-cost.ts). A
// refused document gets QUERY_TOO_COMPLEX. Also the production switch: no introspection.
// The package is CommonJS whose entry picks a build at run time, so its names come off the default export.
import graphqlArmor from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  Lexer,
  NoSchemaIntrospectionCustomRule,
  Source,
  TokenKind,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
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

/** The refusal of a document over a query limit. */
export const tooComplex = (message: string) => new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, message);

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
  // armor's cost counts `first`/`last` only as literals and not at all when absent: query-cost.ts replaces it.
  costLimit: { enabled: false },
  // Tokens are counted by checkDocumentSize, for graphql-ws as well.
  maxTokens: { enabled: false },
  // Its Apollo plugin sees HTTP only, and validation only: createFormatError cuts hints on both transports.
  blockFieldSuggestion: { enabled: false },
});
const armorRules = armor.protect().validationRules;

export interface QueryRuleOptions {
  /** Serve the schema to introspection queries (INTROSPECTION; off in production). */
  introspection: boolean;
}

/** The validation rules added to graphql's own, on HTTP and graphql-ws. */
export function queryRules(options: QueryRuleOptions): readonly ValidationRule[] {
  return [
    ...armorRules,
    // Apollo adds this itself when introspection is off; graphql-ws, which also runs queries, does not.
    ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
}
