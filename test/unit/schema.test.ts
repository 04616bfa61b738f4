import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { buildGatewaySchema, printGatewaySchema } from '../../src/graphql/schema.js';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGatewaySchema();
});

describe('the public schema', () => {
  it('schema/schema.graphql is what the code builds (run `npm run schema` after changing types)', async () => {
    const committed = await readFile('schema/schema.graphql', 'utf8');
    expect(committed).toBe(printGatewaySchema(schema));
  });

  it('describes every type, field and argument', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        const fieldMap: Record<
          string,
          {
            name: string;
            description?: string | null;
            args?: readonly { name: string; description?: string | null }[];
          }
        > = type.getFields();
        const fields = Object.values(fieldMap);
        for (const field of fields) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args ?? []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type) && !type.description) missing.push(type.name);
    }
    expect(missing).toEqual([]);
  });

  it('keeps the root fields of the public contract', () => {
    const query = schema.getQueryType()!.getFields();
    expect(Object.keys(query).sort()).toEqual(
      expect.arrayContaining([
        'customer',
        'customers',
        'contract',
        'contracts',
        'planGroups',
        'plans',
        'planVariant',
        'planVariants',
        'components',
        'invoice',
        'invoices',
        'node',
      ]),
    );
    expect(query.customers!.args.map((a) => a.name).sort()).toEqual(['after', 'first', 'search']);
    expect(query.contracts!.args.map((a) => a.name).sort()).toEqual([
      'after',
      'customerId',
      'first',
      'status',
    ]);
    expect(query.invoices!.args.map((a) => a.name).sort()).toEqual([
      'after',
      'contractId',
      'customerId',
      'first',
    ]);
  });
});

describe('the generated SDK', () => {
  it('is up to date with the schema and sdk/operations (run `npm run codegen`)', async () => {
    const run = promisify(execFile);
    await expect(
      run(
        process.execPath,
        ['node_modules/@graphql-codegen/cli/cjs/bin.js', '--config', 'codegen.yml', '--check'],
        {
          timeout: 60_000,
        },
      ),
    ).resolves.toBeDefined();
  }, 60_000);
});
