// The cost budget counts list sizes: paged fields multiply what they select by the page they ask for, read
// as execution reads it, so a page size costs the same written in the document or sent as a variable;
// nested pages are refused, while every operation the SDK ships stays within the budget.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  buildSchema,
  getOperationAST,
  Kind,
  parse,
  specifiedRules,
  validate,
  type GraphQLSchema,
} from 'graphql';
import { MAX_PAGE_SIZE } from '../../src/graphql/relay/connection.js';
import { buildGatewaySchema } from '../../src/graphql/schema.js';
import { admitOperation, operationCost } from '../../src/server/query-cost.js';
import { QUERY_LIMITS, queryRules } from '../../src/server/query-limits.js';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGatewaySchema();
});

/** The cost of a valid document with these variables (sent as JSON, coerced as execution coerces them). */
function costOf(query: string, variables: Record<string, unknown> = {}, on: GraphQLSchema = schema): number {
  const document = parse(query);
  expect(validate(on, document, specifiedRules)).toEqual([]);
  const admission = admitOperation(on, document, getOperationAST(document)!, variables, Infinity);
  if (admission.kind !== 'admitted') throw new Error(`not admitted: ${JSON.stringify(admission)}`);
  return admission.cost;
}

/** Within the depth limit (6), so the cost alone refuses it. */
const NESTED_PAGES = `{ contracts(first: 100) { edges { node { invoices(first: 100) { edges { cursor } } } } } }`;
const NESTED_VARIABLES = `query($n: Int = 1) { contracts(first: $n) { edges { node { invoices(first: $n) { edges { cursor } } } } } }`;

describe('the cost', () => {
  it('multiplies a paged field by its first argument, and by the default page size without one', () => {
    expect(costOf('{ contracts(first: 5) { edges { node { billwerkId } } } }')).toBe(1 + 5 * (1 + 1 + 1));
    expect(costOf('{ contracts { edges { node { billwerkId } } } }')).toBe(1 + 20 * 3);
    expect(costOf('{ contracts(first: null) { edges { node { billwerkId } } } }')).toBe(1 + 20 * 3);
  });

  it('prices a variable at the value sent, else its default, else as if the argument were absent', () => {
    const query = 'query($n: Int = 7) { contracts(first: $n) { edges { node { billwerkId } } } }';
    expect(costOf(query)).toBe(1 + 7 * 3);
    expect(costOf(query, { n: 100 })).toBe(1 + 100 * 3);
    expect(costOf(query, { n: 2 })).toBe(1 + 2 * 3);
    const noDefault = 'query($n: Int) { contracts(first: $n) { edges { node { billwerkId } } } }';
    expect(costOf(noDefault)).toBe(1 + 20 * 3);
    expect(costOf(noDefault, { n: 100 })).toBe(1 + 100 * 3);
  });

  it('prices a page outside 1 to 100, which the resolvers refuse, within that range', () => {
    const query = 'query($n: Int) { contracts(first: $n) { edges { node { billwerkId } } } }';
    expect(costOf(query, { n: 1000 })).toBe(1 + 100 * 3);
    expect(costOf('{ contracts(first: 1000) { edges { node { billwerkId } } } }')).toBe(1 + 100 * 3);
    expect(costOf(query, { n: -5 })).toBe(1 + 1 * 3);
  });

  it('prices the same document alike with the number written in it or sent beside it', () => {
    expect(costOf(NESTED_PAGES)).toBe(20_301);
    expect(costOf(NESTED_VARIABLES, { n: 100 })).toBe(20_301);
    expect(costOf(NESTED_VARIABLES)).toBe(costOf(NESTED_PAGES.replaceAll('100', '1')));
  });

  it('refuses 100 contracts with 100 invoices each with QUERY_TOO_COMPLEX, written or sent', () => {
    for (const [query, variables] of [
      [NESTED_PAGES, {}],
      [NESTED_VARIABLES, { n: 100 }],
    ] as const) {
      const document = parse(query);
      const admission = admitOperation(schema, document, getOperationAST(document)!, variables);
      expect(admission.kind).toBe('too-complex');
      if (admission.kind !== 'too-complex') return;
      expect(admission.error.code).toBe('QUERY_TOO_COMPLEX');
      expect(admission.error.message).toMatch(/cost of 20301 is over the budget of 5000/);
    }
  });

  it('reports variables that do not coerce, as execution would, instead of pricing them', () => {
    const document = parse(NESTED_VARIABLES);
    const admission = admitOperation(schema, document, getOperationAST(document)!, { n: 'many' });
    expect(admission.kind).toBe('invalid-variables');
  });

  it('sees through fragments and inline fragments, with variables inside them', () => {
    const spread = `query($n: Int) { contracts(first: 100) { ...C } } fragment C on ContractConnection { edges { node { ... on Contract { invoices(first: $n) { edges { node { billwerkId } } } } } } }`;
    expect(costOf(spread, { n: 100 })).toBeGreaterThan(QUERY_LIMITS.maxCost);
    expect(costOf(spread, { n: 1 })).toBeLessThan(QUERY_LIMITS.maxCost);
  });

  it('prices one parsed document (as Apollo keeps it) anew for each set of page sizes sent with it', () => {
    const spread = `query($n: Int, $m: Int) { contracts(first: $n) { ...C } } fragment C on ContractConnection { edges { node { ... on Contract { invoices(first: $m) { edges { node { billwerkId } } } } } } }`;
    const document = parse(spread);
    const operation = getOperationAST(document)!;
    const sets = [{ n: 2, m: 3 }, { n: 2 }, { n: 2, m: null }, { n: 100, m: 100 }, { n: 2, m: 3 }, {}];
    for (const variables of sets) {
      expect(operationCost(schema, document, operation, variables)).toBe(costOf(spread, variables));
    }
  });

  it('lets introspection through at no cost', () => {
    expect(costOf('{ __schema { types { name fields { name type { name } } } } }')).toBe(0);
  });
});

/** How one page argument is given: absent, written, or a variable (maybe with a default, maybe sent). */
type PageArgument =
  | { kind: 'absent' }
  | { kind: 'literal'; value: number | null }
  | { kind: 'variable'; defaultValue: number | null | undefined; sent: number | null | undefined };

interface PagedSelection {
  field: string;
  type: string;
  args: Record<string, PageArgument>;
  leaves: number;
  children: PagedSelection[];
  pageInfo: boolean;
  inFragment: boolean;
}

interface Shape {
  schema: () => GraphQLSchema;
  /** The paged fields of each type, with the type of their nodes. */
  paged: Record<string, Record<string, string>>;
  leaf: string;
  pageArguments: readonly string[];
}

const pageValue: fc.Arbitrary<number | null> = fc.oneof(
  fc.integer({ min: -2, max: 120 }),
  fc.integer(),
  fc.constant(null),
);
const pageArgument: fc.Arbitrary<PageArgument> = fc.oneof(
  fc.constant({ kind: 'absent' as const }),
  pageValue.map((value) => ({ kind: 'literal' as const, value })),
  fc.record({
    kind: fc.constant('variable' as const),
    defaultValue: fc.option(pageValue, { nil: undefined }),
    sent: fc.option(pageValue, { nil: undefined }),
  }),
);

function selectionOf(shape: Shape, field: string, type: string, depth: number): fc.Arbitrary<PagedSelection> {
  const nested = Object.entries(shape.paged[type] ?? {});
  const children =
    depth >= 3 || nested.length === 0
      ? fc.constant<PagedSelection[]>([])
      : fc.array(
          fc.constantFrom(...nested).chain(([f, t]) => selectionOf(shape, f, t, depth + 1)),
          { maxLength: 2 },
        );
  return fc.record({
    field: fc.constant(field),
    type: fc.constant(type),
    args: fc.record(Object.fromEntries(shape.pageArguments.map((name) => [name, pageArgument]))),
    leaves: fc.integer({ min: 1, max: 3 }),
    children,
    pageInfo: fc.boolean(),
    inFragment: fc.boolean(),
  });
}

/** One operation, with every variable page written as its value (`inline`) or sent as a variable. */
function render(shape: Shape, roots: PagedSelection[], mode: 'inline' | 'variables') {
  const definitions: string[] = [];
  const fragments: string[] = [];
  const variables: Record<string, unknown> = {};
  let counter = 0;
  const literal = (value: number | null) => (value === null ? 'null' : String(value));

  function argument(name: string, arg: PageArgument): string | undefined {
    if (arg.kind === 'absent') return undefined;
    if (arg.kind === 'literal') return `${name}: ${literal(arg.value)}`;
    if (mode === 'inline') {
      const value = arg.sent !== undefined ? arg.sent : arg.defaultValue;
      return value === undefined ? undefined : `${name}: ${literal(value)}`;
    }
    const variable = `v${(counter += 1)}`;
    const fallback = arg.defaultValue === undefined ? '' : ` = ${literal(arg.defaultValue)}`;
    definitions.push(`$${variable}: Int${fallback}`);
    if (arg.sent !== undefined) variables[variable] = arg.sent;
    return `${name}: $${variable}`;
  }

  function connection(selection: PagedSelection): string {
    const args = Object.entries(selection.args)
      .map(([name, arg]) => argument(name, arg))
      .filter((text) => text !== undefined);
    const node = [
      ...Array.from({ length: selection.leaves }, () => shape.leaf),
      ...selection.children.map(connection),
    ].join(' ');
    let nodeSelection = node;
    if (selection.inFragment) {
      const name = `F${(counter += 1)}`;
      fragments.push(`fragment ${name} on ${selection.type} { ${node} }`);
      nodeSelection = `...${name}`;
    }
    const alias = `a${(counter += 1)}`;
    return `${alias}: ${selection.field}${args.length > 0 ? `(${args.join(', ')})` : ''} { edges { cursor node { ${nodeSelection} } } ${selection.pageInfo ? 'pageInfo { hasNextPage }' : ''} }`;
  }

  const body = roots.map(connection).join(' ');
  const header = definitions.length > 0 ? `query(${definitions.join(', ')})` : 'query';
  return { query: [`${header} { ${body} }`, ...fragments].join('\n'), variables };
}

const SHAPES: [string, Shape][] = [
  [
    "the gateway's schema",
    {
      schema: () => schema,
      paged: {
        Query: { contracts: 'Contract', customers: 'Customer', invoices: 'Invoice' },
        Contract: { invoices: 'Invoice' },
        Customer: { invoices: 'Invoice' },
      },
      leaf: 'billwerkId',
      pageArguments: ['first'],
    },
  ],
  [
    'a schema paged by first and last',
    {
      schema: (() => {
        const built = buildSchema(`
          type Query { items(first: Int, last: Int, after: String): ItemConnection! }
          type ItemConnection { edges: [ItemEdge!]! pageInfo: PageInfo! }
          type ItemEdge { cursor: String! node: Item! }
          type PageInfo { hasNextPage: Boolean! }
          type Item { id: ID! children(first: Int, last: Int): ItemConnection! }
        `);
        return () => built;
      })(),
      paged: { Query: { items: 'Item' }, Item: { children: 'Item' } },
      leaf: 'id',
      pageArguments: ['first', 'last'],
    },
  ],
];

describe('a page size written or sent', () => {
  it.each(SHAPES)('costs the same either way, in %s', (_name, shape) => {
    const roots = fc.array(
      fc.constantFrom(...Object.entries(shape.paged.Query!)).chain(([f, t]) => selectionOf(shape, f, t, 1)),
      { minLength: 1, maxLength: 2 },
    );
    fc.assert(
      fc.property(roots, (selections) => {
        const inline = render(shape, selections, 'inline');
        const sent = render(shape, selections, 'variables');
        expect(inline.variables).toEqual({});
        expect(costOf(sent.query, sent.variables, shape.schema())).toBe(
          costOf(inline.query, {}, shape.schema()),
        );
      }),
    );
  });
});

describe('the SDK operations', () => {
  it('all pass every validation rule in production mode, and the budget with every page at its largest', async () => {
    const folder = 'sdk/operations';
    const files = (await readdir(folder)).filter((file) => file.endsWith('.graphql'));
    const source = (await Promise.all(files.map((file) => readFile(path.join(folder, file), 'utf8')))).join(
      '\n',
    );
    const document = parse(source);
    expect(document.definitions.length).toBeGreaterThan(20);
    const production = queryRules({ introspection: false });
    expect(validate(schema, document, [...specifiedRules, ...production])).toEqual([]);
    const overBudget = document.definitions.filter((operation) => {
      if (operation.kind !== Kind.OPERATION_DEFINITION) return false;
      const largest = Object.fromEntries(
        (operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, MAX_PAGE_SIZE]),
      );
      return operationCost(schema, document, operation, largest) > QUERY_LIMITS.maxCost;
    });
    expect(overBudget).toEqual([]);
  });
});
