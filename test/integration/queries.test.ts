// The query schema end to end: the generated SDK → the gateway over HTTP → the billwerk client → the
// emulator over HTTP, with its seeded demo data.
import { SEED_IDS } from '../../src/emulator/seed.js';
import {
  CatalogueDocument,
  ContractCancellationPreviewDocument,
  ContractDocument,
  ContractsDocument,
  CustomerDocument,
  CustomersDocument,
  InvoiceDocument,
  InvoicesDocument,
  NodeDocument,
  PlanVariantDocument,
  PlanVariantsDocument,
  PlansDocument,
} from '../../sdk/client.js';
import { failureOf } from '../helpers/http.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('catalogue', () => {
  it('lists plan groups with their plans, variants and prices in the group currency', async () => {
    const { planGroups, components } = await stack.sdk.request(CatalogueDocument);
    expect(planGroups).toHaveLength(1);
    const group = planGroups[0]!;
    expect(group).toMatchObject({ billwerkId: SEED_IDS.planGroup, currency: 'EUR' });
    const names = group.plans.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['Free', 'Basic', 'Pro']));
    const pro = group.plans.find((p) => p.billwerkId === SEED_IDS.plans.pro)!;
    expect(pro.variants.map((v) => v.billwerkId).sort()).toEqual(
      [SEED_IDS.planVariants.proMonthly, SEED_IDS.planVariants.proYearly].sort(),
    );
    for (const variant of pro.variants) expect(variant.recurringFee.currency).toBe('EUR');
    expect(components.map((c) => c.billwerkId)).toEqual(
      expect.arrayContaining(Object.values(SEED_IDS.components)),
    );
    expect(components.find((c) => c.billwerkId === SEED_IDS.components.apiCalls)?.type).toBe('METERED');
  });

  it('resolves a plan variant up to its plan and plan group, and filters variants and plans', async () => {
    const { planVariant } = await stack.sdk.request(PlanVariantDocument, {
      id: SEED_IDS.planVariants.basicYearly,
    });
    expect(planVariant?.plan?.billwerkId).toBe(SEED_IDS.plans.basic);
    expect(planVariant?.plan?.planGroup?.billwerkId).toBe(SEED_IDS.planGroup);
    expect(planVariant?.contractPeriod).toEqual({ unit: 'YEAR', quantity: 1 });
    const { planVariants } = await stack.sdk.request(PlanVariantsDocument, { planId: SEED_IDS.plans.basic });
    expect(planVariants.map((v) => v.billwerkId).sort()).toEqual(
      [SEED_IDS.planVariants.basicMonthly, SEED_IDS.planVariants.basicYearly].sort(),
    );
    const { plans } = await stack.sdk.request(PlansDocument, { planGroupId: SEED_IDS.planGroup });
    expect(plans.length).toBeGreaterThanOrEqual(3);
  });
});

describe('customers', () => {
  it('reads a customer by billwerk id and by global id, with contracts and invoices', async () => {
    const byBillwerkId = await stack.sdk.request(CustomerDocument, { id: SEED_IDS.customers.ada });
    const customer = byBillwerkId.customer!;
    expect(customer.id).toBe(`gid://billwerk/Customer/${SEED_IDS.customers.ada}`);
    expect(customer.contracts.map((c) => c.billwerkId)).toContain(SEED_IDS.contracts.adaBasicMonthly);
    expect(customer.invoices.edges.length).toBeGreaterThan(0);
    const byGlobalId = await stack.sdk.request(CustomerDocument, { id: customer.id });
    expect(byGlobalId.customer?.billwerkId).toBe(SEED_IDS.customers.ada);
  });

  it('an unknown customer is null with a NOT_FOUND error on its path', async () => {
    const { errors, data } = await failureOf(
      stack.sdk.request(CustomerDocument, { id: 'ffffffffffffffffffffffff' }),
    );
    expect(errors[0]).toMatchObject({ path: ['customer'], extensions: { code: 'NOT_FOUND' } });
    expect(data).toEqual({ customer: null });
  });

  it('pages through every customer exactly once', async () => {
    for (let i = 0; i < 23; i += 1) {
      await stack.billwerk.customers.create({
        FirstName: 'Paged',
        LastName: `Customer ${i}`,
        EmailAddress: `p${i}@example.com`,
      });
    }
    const seen: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    for (;;) {
      const { customers } = await stack.sdk.request(CustomersDocument, { first: 6, after });
      seen.push(...customers.edges.map((e) => e.node.billwerkId));
      pages += 1;
      expect(customers.pageInfo.hasPreviousPage).toBe(after !== undefined);
      if (!customers.pageInfo.hasNextPage) break;
      after = customers.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(23 + Object.keys(SEED_IDS.customers).length);
    expect(pages).toBe(Math.ceil(seen.length / 6));
  });

  it('refuses a page size out of range with BAD_USER_INPUT', async () => {
    const { errors } = await failureOf(stack.sdk.request(CustomersDocument, { first: 1000 }));
    expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('contracts', () => {
  it('reads a contract with its customer, plan, phases, components, changes and invoices', async () => {
    const { contract } = await stack.sdk.request(ContractDocument, {
      id: SEED_IDS.contracts.adaBasicMonthly,
    });
    expect(contract).toMatchObject({
      billwerkId: SEED_IDS.contracts.adaBasicMonthly,
      status: 'ACTIVE',
      currency: 'EUR',
      customer: { billwerkId: SEED_IDS.customers.ada },
      planVariant: { billwerkId: SEED_IDS.planVariants.basicMonthly },
      plan: { name: 'Basic' },
    });
    expect(contract!.phases.length).toBeGreaterThan(0);
    expect(
      contract!.componentSubscriptions.some((s) => s.component?.id.endsWith(SEED_IDS.components.seats)),
    ).toBe(true);
    expect(contract!.changes.map((c) => c.type)).toContain('Signup');
    expect(contract!.invoices.edges.length).toBeGreaterThanOrEqual(2);
  });

  it('shows the cancellation preview of a contract as a field', async () => {
    const { contract } = await stack.sdk.request(ContractCancellationPreviewDocument, {
      id: SEED_IDS.contracts.adaBasicMonthly,
    });
    const preview = contract!.cancellationPreview!;
    expect(new Date(preview.endDate).getTime()).toBeGreaterThan(
      new Date(preview.nextPossibleCancellationDate).getTime(),
    );
    expect(preview.contractAfter.endDate).toBe(preview.endDate);
  });

  it('filters by status and by customer', async () => {
    const ended = await stack.sdk.request(ContractsDocument, { status: 'ENDED', first: 50 });
    expect(ended.contracts.edges.map((e) => e.node.billwerkId)).toEqual([
      SEED_IDS.contracts.edsgerBasicEnded,
    ]);
    const katherine = await stack.sdk.request(ContractsDocument, {
      customerId: SEED_IDS.customers.katherine,
    });
    expect(katherine.contracts.edges.map((e) => e.node.billwerkId).sort()).toEqual(
      [SEED_IDS.contracts.katherineBasicYearlyCancelled, SEED_IDS.contracts.katherineFree].sort(),
    );
    for (const edge of katherine.contracts.edges)
      expect(edge.node.customer?.billwerkId).toBe(SEED_IDS.customers.katherine);
  });

  it('refuses an id of another type with BAD_USER_INPUT', async () => {
    const { errors } = await failureOf(
      stack.sdk.request(ContractDocument, { id: `gid://billwerk/Customer/${SEED_IDS.customers.ada}` }),
    );
    expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('invoices and nodes', () => {
  it('lists invoices of a customer and reads one with its relations', async () => {
    const { invoices } = await stack.sdk.request(InvoicesDocument, { customerId: SEED_IDS.customers.ada });
    expect(invoices.edges.length).toBeGreaterThanOrEqual(2);
    const first = invoices.edges[0]!.node;
    expect(first.totalGross.currency).toBe('EUR');
    const { invoice } = await stack.sdk.request(InvoiceDocument, { id: first.id });
    expect(invoice?.customer?.id).toBe(`gid://billwerk/Customer/${SEED_IDS.customers.ada}`);
    expect(invoice?.invoiceNumber).toBe(first.invoiceNumber);
  });

  it('node(id) fetches any type by its global id', async () => {
    const contract = await stack.sdk.request(NodeDocument, {
      id: `gid://billwerk/Contract/${SEED_IDS.contracts.alanProTrial}`,
    });
    expect(contract.node).toMatchObject({ __typename: 'Contract', status: 'IN_TRIAL' });
    const variant = await stack.sdk.request(NodeDocument, {
      id: `gid://billwerk/PlanVariant/${SEED_IDS.planVariants.free}`,
    });
    expect(variant.node?.__typename).toBe('PlanVariant');
    const { errors } = await failureOf(stack.sdk.request(NodeDocument, { id: SEED_IDS.customers.ada }));
    expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('the browser IDE', () => {
  it('GET /graphql from a browser serves GraphiQL; a GET query still reaches GraphQL', async () => {
    const response = await fetch(stack.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('<div id="graphiql"');
    const query = await fetch(`${stack.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: {
        accept: 'text/html',
        authorization: `Bearer ${stack.adminKey}`,
        'apollo-require-preflight': 'true',
      },
    });
    expect(query.headers.get('content-type')).toMatch(/json/);
  });
});
