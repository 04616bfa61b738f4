// Ending contracts (billwerk flows.md §5–6) and contract data edits.
// Driven over REST against the emulator, asserting the resulting state and the webhooks a real HTTP
// listener receives, in their documented order.
import type { CancellationPreview, Contract } from '../../src/billwerk/dto.js';
import { SEED_IDS } from '../../src/emulator/seed.js';
import { DAY, anyString, containing, isoDate, startHarness, type Harness } from './emulator-harness.js';

const { planVariants: pv, components, contracts } = SEED_IDS;

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

describe('5. terminate with notice', () => {
  it('ends on the date cancellationPreview returns: ContractCancelled now, ContractChanged at EndDate', async () => {
    const contract = await h.signup(pv.basicYearly);
    const start = Date.parse(contract.StartDate);
    await h.clock.advance(60 * DAY);
    const preview = await h.rest.ok<CancellationPreview>(
      'GET',
      `/Contracts/${contract.Id}/cancellationPreview`,
    );
    const yearEnd = new Date(start);
    yearEnd.setUTCFullYear(yearEnd.getUTCFullYear() + 1);
    const deadline = new Date(yearEnd);
    deadline.setUTCMonth(deadline.getUTCMonth() - 1);
    expect(Date.parse(preview.EndDate)).toBe(yearEnd.getTime());
    expect(Date.parse(preview.NextPossibleCancellationDate)).toBe(deadline.getTime());
    expect(preview.ContractAfter).toMatchObject({ Id: contract.Id, EndDate: preview.EndDate });
    expect(preview.ContractAfter.Phases.at(-1)).toMatchObject({
      Type: 'Inactive',
      StartDate: preview.EndDate,
    });
    expect(preview.Invoice).toMatchObject({ Currency: 'EUR', TotalNet: 0 });
    expect(await h.drain(contract.CustomerId)).toEqual([]);

    const ended = await h.rest.ok<CancellationPreview>('POST', `/Contracts/${contract.Id}/end`, {
      EndDate: preview.EndDate,
    });
    expect(ended).toMatchObject({
      EndDate: preview.EndDate,
      NextPossibleCancellationDate: preview.NextPossibleCancellationDate,
    });
    expect(ended.CancellationDate).toBeTruthy();
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractCancelled']);
    expect(await h.contractOf(contract.Id)).toMatchObject({
      LifecycleStatus: 'Active',
      EndDate: preview.EndDate,
    });

    await h.clock.advanceTo(yearEnd);
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractChanged:EndContract']);
    expect(await h.contractOf(contract.Id)).toMatchObject({
      LifecycleStatus: 'Ended',
      CurrentPhase: { Type: 'Inactive' },
    });
  });
});

describe('6. terminate without notice, and annulation', () => {
  it('ends on any date after StartDate, with a final credit for the unused period', async () => {
    const contract = await h.signup(pv.basicMonthly);
    const early = await h.rest.call('POST', `/contracts/${contract.Id}/end`, { EndDate: contract.StartDate });
    expect(early.status).toBe(422);
    expect(early.body).toEqual({ Message: anyString });

    await h.clock.advance(10 * DAY);
    const endDate = h.now() + 5 * DAY;
    const ended = await h.rest.ok<CancellationPreview>('POST', `/contracts/${contract.Id}/end`, {
      EndDate: isoDate(endDate),
    });
    expect(ended.Invoice?.TotalNet).toBeLessThan(0);
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractCancelled']);
    await h.clock.advance(5 * DAY);
    expect(await h.drain(contract.CustomerId)).toEqual(['ContractChanged:EndContract', 'InvoiceCreated']);
    const [settlement] = await h.invoicesOf(contract.Id);
    expect(settlement).toMatchObject({ IsInvoice: false, TotalNet: ended.Invoice?.TotalNet });
    expect((await h.contractOf(contract.Id)).LifecycleStatus).toBe('Ended');
    const again = await h.rest.call('POST', `/contracts/${contract.Id}/end`, {
      EndDate: isoDate(h.now() + DAY),
    });
    expect(again.status).toBe(422);
  });

  it('an EndDate already past ends the contract at once', async () => {
    const contract = await h.signup(pv.basicMonthly);
    await h.clock.advance(3 * DAY);
    await h.rest.ok('POST', `/contracts/${contract.Id}/end`, { EndDate: isoDate(h.now() - DAY) });
    expect(await h.drain(contract.CustomerId)).toEqual([
      'ContractCancelled',
      'ContractChanged:EndContract',
      'InvoiceCreated',
    ]);
    expect((await h.contractOf(contract.Id)).LifecycleStatus).toBe('Ended');
  });

  it('annulation ends the contract at its start and credits what was billed', async () => {
    const contract = await h.signup(pv.basicMonthly, {
      ComponentSubscriptions: [{ ComponentId: components.seats, Quantity: 1 }],
    });
    await h.clock.advance(DAY);
    const annulled = await h.rest.ok<Contract>('POST', `/contracts/${contract.Id}/annulate`);
    expect(annulled).toMatchObject({ LifecycleStatus: 'Ended', EndDate: contract.StartDate });
    expect(await h.drain(contract.CustomerId)).toEqual([
      'ContractCancelled',
      'ContractChanged:Annulation',
      'InvoiceCreated',
    ]);
    const [creditNote, original] = await h.invoicesOf(contract.Id);
    expect(creditNote).toMatchObject({ IsInvoice: false, TotalNet: -14, TotalGross: -16.66 });
    expect(original?.TotalNet).toBe(14);
  });
});

describe('contract data', () => {
  it('PUT/PATCH of data fields fires ContractDataChanged; a never-billed contract can be deleted', async () => {
    const customer = await h.rest.ok<{ Id: string }>('POST', '/customers', { FirstName: 'Data' });
    const contract = await h.order({ CustomerId: customer.Id, Cart: { PlanVariantId: pv.free } });
    await h.drain();
    const patched = await h.rest.ok<Contract>('PATCH', `/contracts/${contract.Id}`, {
      externalId: 'crm-42',
      CustomFields: { seats: 3 },
    });
    expect(patched).toMatchObject({ ExternalId: 'crm-42', CustomFields: { seats: 3 }, Notes: null });
    expect(
      (await h.rest.ok<Contract[]>('GET', '/contracts?externalId=crm-42')).map((item) => item.Id),
    ).toEqual([contract.Id]);
    const replaced = await h.rest.ok<Contract>('PUT', `/contracts/${contract.Id}`, { Notes: 'only notes' });
    expect(replaced).toMatchObject({ ExternalId: null, CustomFields: {}, Notes: 'only notes' });
    const refused = await h.rest.call('PATCH', `/contracts/${contract.Id}`, {
      EndDate: isoDate(h.now() + DAY),
    });
    expect(refused).toMatchObject({ status: 422, body: { Message: containing('/end') } });
    expect(await h.drain(customer.Id)).toEqual(['ContractDataChanged', 'ContractDataChanged']);

    expect((await h.rest.call('DELETE', `/contracts/${contract.Id}`)).status).toBe(204);
    expect((await h.rest.call('GET', `/contracts/${contract.Id}`)).status).toBe(404);
    expect(await h.drain()).toEqual(['ContractDeleted']);
    const billed = await h.rest.call('DELETE', `/contracts/${contracts.adaBasicMonthly}`);
    expect(billed.status).toBe(422);
  });
});
