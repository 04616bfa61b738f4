// Signup and change flows (billwerk flows.md §1–4) and the trial end.
// Driven over REST against the emulator, asserting the resulting state and the webhooks a real HTTP
// listener receives, in their documented order.
import type { Contract, ContractChange, Order, OrderPreview, WebhookNotice } from '../../src/billwerk/dto.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { DAY, billwerkDate, containing, isoDate, startHarness, type Harness } from './emulator-harness.js';

const { planVariants: pv, plans, components, customers } = SEED_IDS;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await h.drain();
});

describe('1. signup, new customer', () => {
  it('previews without storing, creates with allocated ids, commits to an active contract and invoices', async () => {
    const body = {
      Customer: {
        FirstName: 'Ada',
        LastName: 'Byron',
        EmailAddress: 'ada@example.com',
        ExternalCustomerId: '249969',
        Address: { Country: 'DE' },
      },
      Cart: {
        PlanVariantId: pv.basicMonthly,
        ComponentSubscriptions: [{ ComponentId: components.seats, Quantity: 3 }],
      },
    };
    const customersBefore = h.emulator.store.customers.size;
    const preview = await h.rest.ok<OrderPreview>('POST', '/orders/preview', body);
    expect(preview.Order).toMatchObject({
      OrderType: 'Signup',
      Currency: 'EUR',
      Total: 24,
      TotalVat: 4.56,
      TotalGross: 28.56,
    });
    expect(preview.Order.LineItems.map((item) => [item.Description, item.Quantity, item.TotalNet])).toEqual([
      ['Basic monthly', 1, 9],
      ['Seats', 3, 15],
    ]);
    expect(h.emulator.store.customers.size).toBe(customersBefore);
    expect(h.emulator.store.orders.get(preview.Order.Id)).toBeUndefined();

    const created = await h.rest.ok<Order>('POST', '/orders', body);
    expect(created).toMatchObject({
      Status: 'InProgress',
      OrderType: 'Signup',
      Total: 24,
      TotalGross: 28.56,
    });
    expect(created.CustomerId).toMatch(/^[0-9a-f]{24}$/);
    expect(created.ContractId).toMatch(/^[0-9a-f]{24}$/);
    expect((await h.rest.call('GET', `/customers/${created.CustomerId}`)).status).toBe(404);

    const contract = await h.rest.ok<Contract>('POST', `/orders/${created.Id}/commit`, {
      PaymentMethod: 'InvoicePayment',
    });
    expect(contract).toMatchObject({
      Id: created.ContractId,
      CustomerId: created.CustomerId,
      LifecycleStatus: 'Active',
      PlanVariantId: pv.basicMonthly,
      StartDate: billwerkDate(h.now()),
      NextBillingDate: billwerkDate(h.now() + 31 * DAY),
    });
    expect((await h.rest.ok<Order>('GET', `/orders/${created.Id}`)).Status).toBe('Completed');
    const [invoice] = await h.invoicesOf(contract.Id);
    expect(invoice).toMatchObject({
      TotalNet: 24,
      TotalVat: 4.56,
      TotalGross: 28.56,
      IsInvoice: true,
      ExternalCustomerId: '249969',
    });
    expect(invoice?.InvoiceNumber).toMatch(/^RE\d+$/);
    const [change] = await h.rest.ok<ContractChange[]>('GET', `/contractChanges?contractId=${contract.Id}`);
    expect(change).toMatchObject({ Type: 'Signup', OrderId: created.Id, NewPlanVariantId: pv.basicMonthly });

    await h.emulator.webhooks.idle();
    const mine = (notice: WebhookNotice) => notice.CustomerId === contract.CustomerId;
    const notices = h.hooks.received.map((item) => item.notice).filter(mine);
    expect(h.hooks.events(mine)).toEqual([
      'CustomerCreated',
      'ContractCreated:Signup',
      'ContractChanged:Signup',
      'OrderSucceeded',
      'InvoiceCreated',
    ]);
    expect(notices[1]).toEqual({
      Event: 'ContractCreated',
      ContractId: contract.Id,
      CustomerId: contract.CustomerId,
      ExternalCustomerId: '249969',
      ContractChangeId: change?.Id,
      ContractChangeType: 'Signup',
      EntityId: SEED_IDS.entity,
    });
    expect(notices[3]).toMatchObject({
      OrderId: created.Id,
      ContractId: contract.Id,
      CustomerId: contract.CustomerId,
    });
    expect(notices[4]).toMatchObject({ InvoiceId: invoice?.Id, ContractId: contract.Id });
    expect(notices.every((notice) => notice.EntityId === SEED_IDS.entity)).toBe(true);
  });
});

describe('2. signup, existing customer', () => {
  it('reuses the payment data on file and sends no CustomerCreated', async () => {
    const contract = await h.order({ CustomerId: customers.ada, Cart: { PlanVariantId: pv.proYearly } });
    expect(contract).toMatchObject({
      CustomerId: customers.ada,
      LifecycleStatus: 'InTrial',
      PaymentProvider: 'InvoicePayment',
    });
    expect(await h.drain(customers.ada)).toEqual([
      'ContractCreated:Signup',
      'ContractChanged:Signup',
      'OrderSucceeded',
    ]);
    const direct = await h.order({ CustomerId: customers.ada, Cart: { PlanVariantId: pv.basicMonthly } });
    expect(direct.LifecycleStatus).toBe('Active');
    expect(await h.drain(customers.ada)).toEqual([
      'ContractCreated:Signup',
      'ContractChanged:Signup',
      'OrderSucceeded',
      'InvoiceCreated',
    ]);
  });
});

describe('3. future contract without invoicing', () => {
  it('bills nothing until the ChangeDate of the upgrade arrives', async () => {
    const customer = await h.rest.ok<{ Id: string }>('POST', '/customers', {
      FirstName: 'Future',
      LastName: 'Customer',
    });
    expect(await h.drain(customer.Id)).toEqual(['CustomerCreated']);
    const start = h.now() + 10 * DAY;
    const free = await h.order({
      CustomerId: customer.Id,
      StartDate: isoDate(start),
      Cart: { PlanVariantId: pv.free },
    });
    expect(free).toMatchObject({ PlanVariantId: pv.free, StartDate: billwerkDate(start) });
    expect(await h.drain(customer.Id)).toEqual([
      'ContractCreated:Signup',
      'ContractChanged:Signup',
      'OrderSucceeded',
    ]);

    await h.clock.advance(60_000);
    const early = await h.rest.call('POST', '/orders', {
      ContractId: free.Id,
      Cart: { PlanVariantId: pv.basicMonthly },
      ChangeDate: isoDate(start - DAY),
    });
    expect(early.status).toBe(422);
    expect(early.body).toEqual({ Message: containing('ChangeDate') });

    const upgraded = await h.order({
      ContractId: free.Id,
      Cart: { PlanId: plans.basic, PlanVariantId: pv.basicMonthly },
      ChangeDate: isoDate(start),
    });
    expect(upgraded.PlanVariantId).toBe(pv.free);
    expect(await h.drain(customer.Id)).toEqual(['OrderSucceeded']);

    await h.clock.advanceTo(new Date(start - 1));
    expect(await h.invoicesOf(free.Id)).toEqual([]);
    expect(await h.drain(customer.Id)).toEqual([]);

    await h.clock.advanceTo(new Date(start));
    expect(await h.drain(customer.Id)).toEqual(['ContractChanged:Upgrade', 'InvoiceCreated']);
    const [invoice] = await h.invoicesOf(free.Id);
    expect(invoice?.ItemList?.map((item) => [item.Description, item.TotalNet, item.PeriodStart])).toEqual([
      ['Basic monthly', 9, billwerkDate(start)],
    ]);
    expect(await h.contractOf(free.Id)).toMatchObject({
      PlanVariantId: pv.basicMonthly,
      LifecycleStatus: 'Active',
    });
  });
});

describe('4. up- and downgrade', () => {
  it('upgrades now with a credit for the old variant, and downgrades at a ChangeDate', async () => {
    const contract = await h.signup(pv.basicMonthly);
    await h.clock.advance(10 * DAY);
    const upgrade = { ContractId: contract.Id, Cart: { PlanVariantId: pv.proMonthly } };
    const { Order: preview } = await h.rest.ok<OrderPreview>('POST', '/orders/preview', upgrade);
    expect(preview.OrderType).toBe('Upgrade');
    const [credit, charge] = preview.LineItems;
    expect(credit?.Description).toBe('Basic monthly');
    expect(credit?.TotalNet).toBeLessThan(0);
    expect(charge).toMatchObject({ Description: 'Pro monthly', TotalNet: 29 });

    const upgraded = await h.order(upgrade);
    expect(upgraded).toMatchObject({
      PlanVariantId: pv.proMonthly,
      NextBillingDate: billwerkDate(h.now() + 31 * DAY),
    });
    expect(await h.drain(contract.CustomerId)).toEqual([
      'OrderSucceeded',
      'ContractChanged:Upgrade',
      'InvoiceCreated',
    ]);
    const invoices = await h.invoicesOf(contract.Id);
    expect(invoices[0]?.TotalNet).toBe(preview.Total);

    await h.clock.advance(DAY);
    const changeDate = h.now() + 14 * DAY;
    const downgraded = await h.order({
      ContractId: contract.Id,
      Cart: { PlanVariantId: pv.basicMonthly, InheritStartDate: true },
      ChangeDate: isoDate(changeDate),
    });
    expect(downgraded.PlanVariantId).toBe(pv.proMonthly);
    expect(downgraded.Phases.at(-1)).toMatchObject({
      Type: 'Normal',
      PlanVariantId: pv.basicMonthly,
      InheritStartDate: true,
    });
    expect(await h.drain(contract.CustomerId)).toEqual(['OrderSucceeded']);

    await h.clock.advanceTo(new Date(changeDate));
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractChanged:Upgrade', 'InvoiceCreated']);
    const [creditNote] = await h.invoicesOf(contract.Id);
    expect(creditNote?.IsInvoice).toBe(false);
    expect(creditNote?.InvoiceNumber).toMatch(/^GS\d+$/);
    expect(await h.contractOf(contract.Id)).toMatchObject({
      PlanVariantId: pv.basicMonthly,
      LifecycleStatus: 'Active',
    });
    const changes = await h.rest.ok<ContractChange[]>(
      'GET',
      `/contractChanges?contractId=${contract.Id}&includeContract=true`,
    );
    expect(changes.map((change) => change.Type)).toEqual(['Upgrade', 'Upgrade', 'Signup']);
    expect(changes[0]?.Contract?.Id).toBe(contract.Id);
  });
});

describe('trial', () => {
  it('the clock ends a trial: InTrial → Active, ContractChanged (Timebased), then the first invoice', async () => {
    const contract = await h.signup(pv.proMonthly);
    expect(contract).toMatchObject({ LifecycleStatus: 'InTrial', CurrentPhase: { Type: 'Trial' } });
    expect(await h.invoicesOf(contract.Id)).toEqual([]);
    const trialEnd = Date.parse(contract.TrialEndDate ?? '');
    expect(trialEnd - Date.parse(contract.StartDate)).toBe(14 * DAY);
    await h.clock.advanceTo(new Date(trialEnd + DAY));
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractChanged:Timebased', 'InvoiceCreated']);
    const after = await h.contractOf(contract.Id);
    expect(after).toMatchObject({ LifecycleStatus: 'Active', CurrentPhase: { Type: 'Normal' } });
    const [invoice] = await h.invoicesOf(contract.Id);
    expect(invoice).toMatchObject({
      TotalNet: 29,
      Created: new Date(trialEnd).toISOString().replace('Z', '0000Z'),
    });
    const [change] = await h.rest.ok<ContractChange[]>('GET', `/contractChanges?contractId=${contract.Id}`);
    expect(change).toMatchObject({ Type: 'Timebased', ChangeDate: invoice?.Created });
  });
});
