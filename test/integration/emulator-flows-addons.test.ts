// Components, metered usage, discounts and coupons (billwerk flows.md §7–9).
// Driven over REST against the emulator, asserting the resulting state and the webhooks a real HTTP
// listener receives, in their documented order.
import type {
  ComponentSubscription,
  Contract,
  DiscountSubscription,
  MeteredUsage,
  Order,
  OrderPreview,
} from '../../src/billwerk/dto.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { DAY, anyString, isoDate, startHarness, type Harness } from './emulator-harness.js';

const { planVariants: pv, components, discounts, customers, coupons } = SEED_IDS;

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

describe('7. component subscriptions', () => {
  it('adds and re-quantifies components through orders and the direct endpoints', async () => {
    const contract = await h.signup(pv.basicMonthly);
    await h.clock.advance(5 * DAY);
    await h.order({
      ContractId: contract.Id,
      Cart: { ComponentSubscriptions: [{ ComponentId: components.seats, Quantity: 2 }] },
    });
    expect(await h.drain(contract.CustomerId)).toEqual(['OrderSucceeded', 'ContractChanged:Upgrade']);
    expect((await h.contractOf(contract.Id)).NextBillingDate).toBe(contract.NextBillingDate);
    expect(await h.invoicesOf(contract.Id)).toHaveLength(1);

    await h.clock.advance(DAY);
    await h.order({
      ContractId: contract.Id,
      Cart: {
        ComponentSubscriptions: [{ ComponentId: components.seats, Quantity: 5 }],
        EndComponentSubscriptions: [components.seats],
      },
      TriggerInterimBilling: true,
    });
    expect(await h.drain(contract.CustomerId)).toEqual([
      'OrderSucceeded',
      'ContractChanged:Upgrade',
      'InvoiceCreated',
    ]);
    const seats = await h.rest.ok<ComponentSubscription[]>(
      'GET',
      `/contracts/${contract.Id}/componentsubscriptions`,
    );
    expect(seats.map((item) => [item.Quantity, item.EndDate === null])).toEqual([
      [5, true],
      [2, false],
    ]);

    await h.clock.advance(DAY);
    const direct = await h.rest.call<ComponentSubscription>(
      'POST',
      `/contracts/${contract.Id}/componentsubscriptions`,
      {
        ComponentId: components.prioritySupport,
      },
    );
    expect(direct.status).toBe(201);
    expect(direct.body).toMatchObject({
      ContractId: contract.Id,
      ComponentId: components.prioritySupport,
      Quantity: 1,
    });
    expect(await h.drain(contract.CustomerId)).toEqual([
      'ContractChanged:ComponentSubscriptionChange',
      'InvoiceCreated',
    ]);

    await h.clock.advance(DAY);
    const endDate = isoDate(h.now() + 3 * DAY);
    const ending = await h.rest.ok<ComponentSubscription>(
      'PUT',
      `/componentsubscriptions/${direct.body.Id}`,
      {
        Id: direct.body.Id,
        EndDate: endDate,
      },
    );
    expect(Date.parse(ending.EndDate ?? '')).toBe(Date.parse(endDate));
    expect(await h.drain(contract.CustomerId)).toEqual([]);
    await h.clock.advance(3 * DAY);
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractChanged:ComponentSubscriptionChange']);

    await h.clock.advanceTo(new Date(contract.NextBillingDate ?? ''));
    expect(await h.drain(contract.CustomerId)).toEqual(['InvoiceCreated']);
    const [recurring] = await h.invoicesOf(contract.Id);
    expect(recurring?.ItemList?.map((item) => item.Description)).toEqual(
      expect.arrayContaining(['Basic monthly', 'Seats', 'Priority support']),
    );
    const support = recurring?.ItemList?.find((item) => item.Description === 'Priority support');
    expect(support?.TotalNet).toBeLessThan(0);
  });
});

describe('8. metered usage', () => {
  it('is billed at the next billing run and stamped with the invoice', async () => {
    const contract = await h.signup(pv.basicMonthly);
    await h.clock.advance(3 * DAY);
    const record = (body: Record<string, unknown>) =>
      h.rest.ok<MeteredUsage>('POST', `/contracts/${contract.Id}/usage`, body);
    const first = await record({
      ComponentId: components.apiCalls,
      Quantity: 120,
      DueDate: isoDate(h.now() - DAY),
      Memo: 'API calls',
      Key: 'batch-1',
    });
    const repeat = await record({ ComponentId: components.apiCalls, Quantity: 120, Key: 'batch-1' });
    expect(repeat.Id).toBe(first.Id);
    const extra = await record({ componentId: components.apiCalls, quantity: 30 });
    const dropped = await record({ ComponentId: components.apiCalls, Quantity: 999 });
    expect((await h.rest.call('DELETE', `/contracts/${contract.Id}/usage/${dropped.Id}`)).status).toBe(204);
    const wrong = await h.rest.call('POST', `/contracts/${contract.Id}/usage`, {
      ComponentId: components.seats,
      Quantity: 1,
    });
    expect(wrong.status).toBe(422);
    expect(await h.drain(contract.CustomerId)).toEqual([]);

    await h.clock.advanceTo(new Date(contract.NextBillingDate ?? ''));
    expect(await h.drain(contract.CustomerId)).toEqual(['InvoiceCreated']);
    const [invoice] = await h.invoicesOf(contract.Id);
    const usageLine = invoice?.ItemList?.find((item) => item.Description === 'API calls');
    expect(usageLine).toMatchObject({ Quantity: 150, PricePerUnit: 0.01, TotalNet: 1.5 });
    const usage = await h.rest.ok<MeteredUsage[]>('GET', `/contracts/${contract.Id}/usage`);
    expect(usage.map((item) => item.BilledInvoiceId)).toEqual([invoice?.Id, invoice?.Id]);
    expect(usage.every((item) => item.BilledOn)).toBe(true);
    expect((await h.rest.call('DELETE', `/contracts/${contract.Id}/usage/${extra.Id}`)).status).toBe(422);
  });
});

describe('9. discounts and coupons', () => {
  it('applies a discount and a normalised coupon code', async () => {
    const body = {
      Customer: { FirstName: 'Coupon', LastName: 'Holder' },
      Cart: {
        PlanVariantId: pv.basicMonthly,
        CouponCode: 'welcome-10',
        DiscountSubscriptions: [{ DiscountId: discounts.launch20 }],
      },
    };
    const { Order: preview } = await h.rest.ok<OrderPreview>('POST', '/orders/preview', body);
    expect(preview.Coupon).toEqual({
      CouponCode: 'WELCOME10',
      CouponId: coupons.welcome10,
      DiscountId: discounts.welcome10,
    });
    expect(preview.Total).toBe(6.3);
    expect(preview.DiscountSubscriptions?.map((item) => item.DiscountId).sort()).toEqual(
      [discounts.launch20, discounts.welcome10].sort(),
    );
    const created = await h.rest.ok<Order>('POST', '/orders', body);
    const contract = await h.rest.ok<Contract>('POST', `/orders/${created.Id}/commit`, {
      PaymentMethod: 'InvoicePayment',
    });
    expect(await h.drain(contract.CustomerId)).toEqual([
      'CustomerCreated',
      'ContractCreated:Signup',
      'ContractChanged:Signup',
      'OrderSucceeded',
      'InvoiceCreated',
    ]);
    const subscriptions = await h.rest.ok<DiscountSubscription[]>(
      'GET',
      `/contracts/${contract.Id}/discountsubscriptions`,
    );
    expect(subscriptions.find((item) => item.CouponId)).toMatchObject({
      CouponCode: 'WELCOME10',
      DiscountId: discounts.welcome10,
    });
    expect((await h.invoicesOf(contract.Id))[0]?.TotalNet).toBe(6.3);
  });

  it('reports an invalid code inside the preview and fails the order with InvalidCouponCode', async () => {
    const body = {
      CustomerId: customers.grace,
      Cart: { PlanVariantId: pv.basicMonthly, CouponCode: 'NOPE' },
    };
    const { Order: preview } = await h.rest.ok<OrderPreview>('POST', '/orders/preview', body);
    expect(preview.Coupon).toMatchObject({
      CouponCode: 'NOPE',
      ErrorCode: 'InvalidCouponCode',
      ErrorMessage: anyString,
    });
    expect(preview).toMatchObject({ Total: 9, TotalGross: 10.71 });
    const failed = await h.rest.call('POST', '/orders', body);
    expect(failed.status).toBe(422);
    expect(failed.body).toEqual({
      Message: anyString,
      ErrorCode: 'InvalidCouponCode',
      ErrorMessage: anyString,
    });
    expect(await h.drain(customers.grace)).toEqual([]);
  });
});
