// The compact form in which the SQLite log stores a notice's payload and an event's enrichment: JSON,
// deflated against a preset dictionary of billwerk's field names, behind a one-byte format tag.
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * The strings billwerk's notices and DTOs repeat in every row. Deflate copies from a preset dictionary as
 * from text it has already seen, so a row of about 2 KB, mostly field names, shrinks to about a third
 * where plain deflate of so short a text saves little. Stored rows depend on these exact bytes: a changed
 * dictionary needs a new format tag, and this one stays readable.
 */
const DICTIONARY_V1 = Buffer.from(
  [
    '"Address":{"Street":"","HouseNumber":"","PostalCode":"","City":"","Country":"DE"},',
    '"InvoiceNumber":"","Created":"","DocumentDate":"","TotalNet":,"TotalVat":,"TotalGross":,"IsInvoice":true,',
    '"change":{"Id":"","Type":"Signup","Timestamp":"","OrderId":"","ContractId":"","ChangeDate":"",',
    '"NewPlanVariantId":"","NewPlanId":"","Details":{},"Contract":',
    '"PaymentBearer":{"Type":"CreditCard","Holder":"","Account":""},"CompanyName":"","PhoneNumber":"","VatId":"",',
    '"customer":{"Language":"de-DE","CustomerType":"Consumer","DefaultBearerMedium":"Email","DebitorAccount":"',
    '","FirstName":"","LastName":"","EmailAddress":"@example.com","ExternalCustomerId":"","Id":"","CreatedAt":"',
    '","DeletedAt":null,"Address":{},"CustomFields":{},"IsLocked":false,"IsDeletable":false,"CustomerName":""}}',
    '{"contract":{"Id":"","CustomerId":"","CustomerName":"","PlanGroupId":"","PlanId":"","PlanVariantId":"',
    '","ReferenceCode":"","ExternalId":null,"Currency":"EUR","Notes":null,"PaymentProvider":"InvoicePayment",',
    '"PaymentProviderRole":"InvoicePayment","PaymentBearer":null,"LifecycleStatus":"Active","StartDate":"',
    '","EndDate":null,"BilledUntil":"","LastBillingDate":"","NextBillingDate":"","TrialEndDate":null,',
    '"Phases":[{"Type":"Normal","StartDate":"","PlanVariantId":"","PlanId":"","Quantity":1},',
    '{"Type":"Inactive","StartDate":"","PlanVariantId":null,"PlanId":null}],',
    '"CurrentPhase":{"Type":"Normal","StartDate":"","PlanVariantId":"","PlanId":"","Quantity":1},',
    '"Balance":0,"CustomFields":{},"BillingSuspended":false,"RecurringPaymentsPaused":false,"IsDeletable":false},',
    '{"payload":{"Event":"ContractChanged","EntityId":"","ContractId":"","ContractChangeId":"",',
    '"ContractChangeType":"Upgrade","CustomerId":""}}',
    'T00:00:00.0000000Z","',
  ].join(''),
);

/** The first byte of a stored value: which form follows. */
const FORMAT_DEFLATE_V1 = 1;

/**
 * Deflate's fastest level: against the dictionary it packs a row within a few bytes of the default level
 * (368 against 363 bytes for a 2 KB enrichment) in half the time (25 against 49 µs), and packing runs on
 * the event loop for every event. Any level reads back with the same inflate.
 */
const PACK_OPTIONS = { dictionary: DICTIONARY_V1, level: 1 };

/** A JSON value in its stored form. */
export function packJson(value: unknown): Buffer {
  const deflated = deflateRawSync(JSON.stringify(value), PACK_OPTIONS);
  const packed = Buffer.allocUnsafe(deflated.length + 1);
  packed[0] = FORMAT_DEFLATE_V1;
  deflated.copy(packed, 1);
  return packed;
}

/**
 * The JSON text of a stored value: a string as rows before the compact form hold it, or a packed value.
 * Throws on an unknown format or damaged bytes.
 */
export function unpackJson(stored: string | Buffer): string {
  if (typeof stored === 'string') return stored;
  if (stored[0] !== FORMAT_DEFLATE_V1) throw new Error(`unknown stored format ${stored[0] ?? 'none'}`);
  return inflateRawSync(stored.subarray(1), { dictionary: DICTIONARY_V1 }).toString('utf8');
}
