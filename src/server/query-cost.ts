// The cost budget, priced once an operation's variables are known: on HTTP by an Apollo plugin when the
// operation is resolved, on graphql-ws in onSubscribe, before anything runs on either, so a refusal
// (QUERY_TOO_COMPLEX) costs no billwerk call. A page size costs the same written in the document or sent
// beside it: both are read as execution reads them.
import { type ApolloServerPlugin, type BaseContext, type GraphQLRequestListener } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../graphql/relay/connection.js';
import { type GatewayError, toGraphQLError } from '../graphql/errors.js';
import { QUERY_LIMITS, tooComplex } from './query-limits.js';

/** The arguments that choose how many items a paged field returns. */
const PAGE_ARGUMENTS = new Set(['first', 'last']);

/** Introspection fields cost nothing: they read the schema, never billwerk. */
const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

type Field = GraphQLField<unknown, unknown>;

/** A field's definition with only its page arguments, or null when it has none (not paged). */
const pagedViews = new WeakMap<Field, Field | null>();
function pagedView(definition: Field): Field | null {
  let view = pagedViews.get(definition);
  if (view === undefined) {
    const args = definition.args.filter((arg) => PAGE_ARGUMENTS.has(arg.name));
    view = args.length > 0 ? { ...definition, args } : null;
    pagedViews.set(definition, view);
  }
  return view;
}

/**
 * The page a paged field asks for, read by graphql's own getArgumentValues exactly as execution will: the
 * literal, else the variable's value, else its default, else the argument's default; absent or null is
 * the default page size. Priced within 1 to the largest page the schema allows: every paged resolver
 * refuses a page outside that with BAD_USER_INPUT before it reads billwerk, so it never costs more.
 */
function pageSize(field: FieldNode, paged: Field, variables: Readonly<Record<string, unknown>>): number {
  let values: Record<string, unknown>;
  try {
    values = getArgumentValues(paged, field, variables);
  } catch {
    // Execution would refuse it too; priced as the largest page until then.
    return MAX_PAGE_SIZE;
  }
  let size: number | undefined;
  for (const name of PAGE_ARGUMENTS) {
    const value = values[name];
    if (typeof value === 'number') size = Math.max(size ?? 1, Math.min(value, MAX_PAGE_SIZE));
  }
  return size ?? DEFAULT_PAGE_SIZE;
}

interface Priced {
  cost: number;
  /** The variables page arguments read: the cost holds for these variables' values only. */
  variables: ReadonlySet<string>;
}

/**
 * The cost with list sizes counted, as graphql-query-complexity's estimators do it: a field costs 1 plus
 * what it selects, and a paged field (one with a `first` or `last` argument) multiplies what it selects by
 * the page it asks for. Plain lists (a contract's phases, a plan's variants) count once: their length is
 * billwerk's data, not the caller's choice. Fragments are expanded where they are spread (each costed once
 * per operation), so neither fragments nor a fragment named `__schema` hide cost. `variables` are coerced
 * values (graphql's getVariableValues).
 */
function price(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): Priced {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentCosts = new Map<string, number>();
  const inProgress = new Set<string>();
  const used = new Set<string>();

  function selectionsCost(selectionSet: SelectionSetNode | undefined, parent: GraphQLNamedType): number {
    if (!selectionSet) return 0;
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (INTROSPECTION_FIELDS.has(name)) continue;
        const definition =
          isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        // Unknown fields never pass validation; they cost what they would.
        if (!definition) {
          cost += 1;
          continue;
        }
        const inner = selectionsCost(selection.selectionSet, getNamedType(definition.type));
        const paged = pagedView(definition);
        for (const argument of paged ? (selection.arguments ?? []) : []) {
          if (PAGE_ARGUMENTS.has(argument.name.value) && argument.value.kind === Kind.VARIABLE)
            used.add(argument.value.name.value);
        }
        cost += 1 + (paged ? pageSize(selection, paged, variables) : 1) * inner;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        cost += selectionsCost(selection.selectionSet, type ?? parent);
      } else {
        cost += fragmentCost(selection.name.value);
      }
    }
    return cost;
  }

  function fragmentCost(name: string): number {
    // A fragment's variables joined `used` when it was first priced.
    const known = fragmentCosts.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    // Cycles and unknown fragments never pass validation.
    if (!fragment || inProgress.has(name)) return 0;
    const type = schema.getType(fragment.typeCondition.name.value);
    if (!type) return 0;
    inProgress.add(name);
    const cost = selectionsCost(fragment.selectionSet, type);
    fragmentCosts.set(name, cost);
    inProgress.delete(name);
    return cost;
  }

  const root = schema.getRootType(operation.operation);
  const cost = root ? selectionsCost(operation.selectionSet, root) : 0;
  return { cost, variables: used };
}

/** Past this many sets of page sizes for one operation, its costs are priced afresh. */
const COSTS_PER_OPERATION = 64;

/**
 * Costs by an operation's (cached, shared) syntax tree: the variables its page arguments read, and the
 * cost for each set of their values seen (one entry when no variable changes it). A client sends the
 * same few documents with the same few page sizes, so a request's cost is mostly one lookup.
 */
const costs = new WeakMap<OperationDefinitionNode, { variables: string[]; byValues: Map<string, number> }>();

/** The values of `names` as one key; a variable not sent differs from one sent as null. */
const valuesKey = (names: readonly string[], variables: Readonly<Record<string, unknown>>) =>
  names.map((name) => (name in variables ? JSON.stringify(variables[name]) : '-')).join(',');

/** The operation's cost with these coerced variables (see `price`). */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> = {},
): number {
  const known = costs.get(operation);
  if (known) {
    const cost = known.byValues.get(valuesKey(known.variables, variables));
    if (cost !== undefined) return cost;
  }
  const priced = price(schema, document, operation, variables);
  const entry = known ?? { variables: [...priced.variables], byValues: new Map<string, number>() };
  if (entry.byValues.size >= COSTS_PER_OPERATION) entry.byValues.clear();
  entry.byValues.set(valuesKey(entry.variables, variables), priced.cost);
  costs.set(operation, entry);
  return priced.cost;
}

export type Admission =
  | { kind: 'admitted'; cost: number }
  /** graphql's coercion errors: execution would refuse the variables before running anything. */
  | { kind: 'invalid-variables'; errors: readonly GraphQLError[] }
  | { kind: 'too-complex'; error: GatewayError };

/**
 * What both transports check once the operation is resolved: its variables coerce (as execution will
 * coerce them) and, with them, it is within the cost budget.
 */
export function admitOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: unknown,
  maxCost: number = QUERY_LIMITS.maxCost,
): Admission {
  const inputs =
    typeof rawVariables === 'object' && rawVariables !== null
      ? (rawVariables as Record<string, unknown>)
      : {};
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], inputs);
  if (coerced.errors) return { kind: 'invalid-variables', errors: coerced.errors };
  const cost = operationCost(schema, document, operation, coerced.coerced);
  if (cost <= maxCost) return { kind: 'admitted', cost };
  return {
    kind: 'too-complex',
    error: tooComplex(
      `The query's cost of ${cost} is over the budget of ${maxCost}; ask for smaller pages (first) or fewer nested lists.`,
    ),
  };
}

/** Apollo runs one listener object for every request: it keeps no state of its own. */
const costListener: GraphQLRequestListener<BaseContext> = {
  didResolveOperation({ schema, document, operation, request }) {
    // An operation that cannot be resolved, and invalid variables, are left to Apollo's execution, which
    // refuses them (OPERATION_RESOLUTION_FAILURE, BAD_USER_INPUT) before running anything.
    if (!operation) return Promise.resolve();
    const admission = admitOperation(schema, document, operation, request.variables);
    if (admission.kind === 'too-complex') throw toGraphQLError(admission.error);
    return Promise.resolve();
  },
};

/** The cost budget on HTTP: checked after validation, with the request's variables, before execution. */
export const queryCostPlugin: ApolloServerPlugin = {
  requestDidStart: () => Promise.resolve(costListener),
};
