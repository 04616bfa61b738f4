// The cost budget counts list sizes: paged fields multiply what they select by the page they ask for, so
// nested pages are refused at validation, while every operation the SDK ships stays within the budget.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { buildGatewaySchema } from '../../src/graphql/schema.js';
import { costRule, limitRules, QUERY_LIMITS, queryRules } from '../../src/server/query-limits.js';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGatewaySchema();
});

/** The cost the rule computes, read off its refusal at a budget of 0. */
function costOf(query: string): number {
  const errors = validate(schema, parse(query), [costRule(0)]);
  const match = /cost of (\d+)/.exec(errors[0]?.message ?? '');
  return match ? Number(match[1]) : 0;
}

/** Within the depth limit (6), so the cost alone refuses it. */
const NESTED_PAGES = `{ contracts(first: 100) { edges { node { billwerkId invoices(first: 100) { edges { cursor } } } } } }`;

describe('the cost rule', () => {
  it('multiplies a paged field by its first argument, and by the default page size without one', () => {
    expect(costOf('{ contracts(first: 5) { edges { node { billwerkId } } } }')).toBe(1 + 5 * (1 + 1 + 1));
    expect(costOf('{ contracts { edges { node { billwerkId } } } }')).toBe(1 + 20 * 3);
    expect(costOf('query($n: Int = 7) { contracts(first: $n) { edges { node { billwerkId } } } }')).toBe(
      1 + 7 * 3,
    );
    // A variable without a default may ask for the largest page.
    expect(costOf('query($n: Int) { contracts(first: $n) { edges { node { billwerkId } } } }')).toBe(
      1 + 100 * 3,
    );
  });

  it('refuses 100 contracts with 100 invoices each with QUERY_TOO_COMPLEX', () => {
    const errors = validate(schema, parse(NESTED_PAGES), [...specifiedRules, ...limitRules]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/cost of \d+ is over the budget of 5000/);
    expect((errors[0]!.originalError as { code?: string }).code).toBe('QUERY_TOO_COMPLEX');
    expect(costOf(NESTED_PAGES)).toBeGreaterThan(QUERY_LIMITS.maxCost);
  });

  it('sees through fragments and inline fragments', () => {
    const spread = `{ contracts(first: 100) { ...C } } fragment C on ContractConnection { edges { node { ... on Contract { invoices(first: 100) { edges { node { billwerkId } } } } } } }`;
    expect(costOf(spread)).toBeGreaterThan(QUERY_LIMITS.maxCost);
  });

  it('lets introspection through at no cost', () => {
    expect(costOf('{ __schema { types { name fields { name type { name } } } } }')).toBe(0);
  });
});

describe('the SDK operations', () => {
  it('all pass every validation rule, including the cost budget, in production mode too', async () => {
    const folder = 'sdk/operations';
    const files = (await readdir(folder)).filter((file) => file.endsWith('.graphql'));
    const source = (await Promise.all(files.map((file) => readFile(path.join(folder, file), 'utf8')))).join(
      '\n',
    );
    const document = parse(source);
    expect(document.definitions.length).toBeGreaterThan(20);
    const production = queryRules({ introspection: false, suggestions: false });
    expect(validate(schema, document, [...specifiedRules, ...production])).toEqual([]);
  });
});
