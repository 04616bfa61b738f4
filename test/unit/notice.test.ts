// The webhook parser: billwerk's families as a union, unknown events passed through, ids parsed as
// ObjectIds, and any JSON at all answered with a notice or a one-line reason, never a throw.
import fc from 'fast-check';
import { dedupeKey, MAX_NOTICE_DEPTH, parseNotice, type NoticeParseResult } from '../../src/events/notice.js';
import { noticeFromStore } from '../../src/events/stored-event.js';
import { notice } from '../helpers/notices.js';
import {
  asBody,
  hex24,
  ID_FIELDS,
  nested,
  noticeBody,
  oddId,
  viaJson,
} from '../helpers/notice-arbitraries.js';

const CONTRACT = '645b429bb73d36f442b223df';
const CUSTOMER = '645b429bb73d36f442b223db';
const CHANGE = '645b42d7f85fee194bce8990';
const INVOICE = '645b4301f85fee194bce89a2';
const ENTITY = '63b2d4405b49105c19fa7714';

function reason(body: unknown): string {
  const parsed = parseNotice(body);
  if (parsed.ok) throw new Error(`expected a refusal, got ${parsed.notice.kind}`);
  return parsed.reason;
}

describe('notice families', () => {
  it('reads billwerk v2 ContractChanged as a contract change with its ids parsed', () => {
    const n = notice({
      Event: 'ContractChanged',
      EntityId: ENTITY,
      ContractId: CONTRACT,
      CustomerId: CUSTOMER,
      ExternalCustomerId: '249969',
      ContractChangeId: CHANGE,
      ContractChangeType: 'Upgrade',
    });
    expect(n).toMatchObject({
      kind: 'contractChange',
      event: 'ContractChanged',
      entityId: ENTITY,
      contractId: CONTRACT,
      customerId: CUSTOMER,
      externalCustomerId: '249969',
      changeId: CHANGE,
      changeType: 'Upgrade',
    });
  });

  it('reads v1 ContractChanged (no change id) and other contract events as contract notices', () => {
    expect(notice({ Event: 'ContractChanged', ContractId: CONTRACT }).kind).toBe('contract');
    expect(notice({ Event: 'contractcancelled', ContractId: CONTRACT }).kind).toBe('contract');
    // A change id on an event that is not a change is kept (it still names the change) but not a family.
    expect(
      notice({ Event: 'ContractDataChanged', ContractId: CONTRACT, ContractChangeId: CHANGE }),
    ).toMatchObject({ kind: 'contract', changeId: CHANGE });
  });

  it.each([
    [{ Event: 'CustomerLocked', CustomerId: CUSTOMER }, 'customer'],
    [{ Event: 'OrderSucceeded', OrderId: CHANGE, ContractId: CONTRACT }, 'order'],
    [{ Event: 'InvoiceCreated', InvoiceId: INVOICE, ContractId: CONTRACT }, 'invoice'],
    [{ Event: 'InvoiceCorrected', OldInvoiceId: INVOICE, NewInvoiceId: null }, 'invoice'],
    [{ Event: 'PaymentSucceeded', PaymentTransactionId: CHANGE }, 'payment'],
    [{ Event: 'DunningCreated', ContractId: CONTRACT, DunningId: CHANGE }, 'payment'],
    [{ Event: 'PlanVariantChanged', PlanVariantId: CHANGE }, 'catalogue'],
    [{ Event: 'ReportFailed', ReportId: CHANGE }, 'account'],
    [{ Event: 'BrandNewEvent', ContractId: CONTRACT, Extra: { a: 1 } }, 'unknown'],
  ])('%j is a %s notice', (body, kind) => {
    expect(notice(body).kind).toBe(kind);
  });

  it('names every invoice an invoice notice carries', () => {
    const n = notice({ Event: 'InvoiceCorrected', OldInvoiceId: INVOICE, NewInvoiceId: CHANGE });
    expect(n.kind === 'invoice' && n.invoiceIds).toEqual([INVOICE, CHANGE]);
  });

  it('passes an unknown event through with its ids and payload', () => {
    const n = notice({ Event: ' BrandNewEvent ', ContractId: CONTRACT, Extra: { a: 1 } });
    expect(n).toMatchObject({ kind: 'unknown', event: 'BrandNewEvent', contractId: CONTRACT });
    expect(n.payload).toEqual({ Event: ' BrandNewEvent ', ContractId: CONTRACT, Extra: { a: 1 } });
  });

  it('lower-cases an upper-case ObjectId and keeps the payload as received', () => {
    const n = notice({ Event: 'ContractDeleted', ContractId: CONTRACT.toUpperCase() });
    expect(n.contractId).toBe(CONTRACT);
    expect(n.payload.ContractId).toBe(CONTRACT.toUpperCase());
  });

  it('reads both spellings of the change type', () => {
    const body = { Event: 'ContractChanged', ContractId: CONTRACT, ContractChangeId: CHANGE };
    expect(notice({ ...body, ContractChangedType: 'Upgrade' }).changeType).toBe('Upgrade');
  });
});

describe('refused notices', () => {
  it.each([
    [null, 'the body must be a JSON object'],
    [[], 'the body must be a JSON object'],
    ['text', 'the body must be a JSON object'],
    [{}, 'Event'],
    [{ Event: 5 }, 'Event'],
    [{ Event: '  ' }, 'Event must name the event'],
    [{ Event: 'Contract\nChanged', ContractId: CONTRACT }, 'control characters'],
    [{ Event: 'X', ContractId: 'has spaces and / slashes' }, 'ContractId: expected a billwerk id'],
    [{ Event: 'ContractChanged', ContractId: 'c1' }, 'ContractId: expected a billwerk id'],
    [{ Event: 'X', CustomerId: `${CUSTOMER}0` }, 'CustomerId: expected a billwerk id'],
    [{ Event: 'X', InvoiceId: 42 }, 'InvoiceId: expected a billwerk id'],
    [{ Event: 'X', NewInvoiceDraftIds: [CHANGE, '../x'] }, 'NewInvoiceDraftIds.1: expected a billwerk id'],
    [{ Event: 'ContractChanged', ContractChangeId: CHANGE }, 'ContractId: ContractChanged needs ContractId'],
    [{ Event: 'CustomerCreated' }, 'CustomerId: CustomerCreated needs CustomerId'],
    [{ Event: 'InvoiceCreated', ContractId: CONTRACT }, 'InvoiceId: InvoiceCreated needs InvoiceId'],
  ])('refuses %j with a one-line reason', (body, expected) => {
    expect(reason(body)).toContain(expected);
  });

  it(`refuses a body nested deeper than ${MAX_NOTICE_DEPTH} levels, however deep`, () => {
    expect(notice({ Event: 'X', Deep: nested(MAX_NOTICE_DEPTH - 1) }).kind).toBe('unknown');
    expect(reason({ Event: 'X', Deep: nested(MAX_NOTICE_DEPTH) })).toBe(
      `the body nests deeper than ${MAX_NOTICE_DEPTH} levels`,
    );
    // What used to overflow the stack of the dedupe hash (a RangeError the route answered with 503).
    expect(reason({ Event: 'X', Deep: nested(200_000) })).toMatch(/nests deeper/);
  });

  it('names a contract change by its id and other notices by their body, key order aside', () => {
    const change = { Event: 'ContractChanged', ContractId: CONTRACT, ContractChangeId: CHANGE };
    expect(dedupeKey(notice({ ...change, X: 1 }))).toBe(dedupeKey(notice({ ...change, X: 2 })));
    expect(dedupeKey(notice({ Event: 'E', A: 1, B: 2 }))).toBe(dedupeKey(notice({ B: 2, A: 1, Event: 'E' })));
  });
});

const OBJECT_ID = /^[0-9a-f]{24}$/i;

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

function checkResult(body: unknown, result: NoticeParseResult): void {
  if (!result.ok) {
    expect(result.reason).not.toMatch(/[\n\r]/);
    expect(result.reason.length).toBeLessThan(200);
    return;
  }
  const { notice: n } = result;
  const record = body as Record<string, unknown>;
  for (const field of ID_FIELDS) {
    const value = record[field];
    if (value !== undefined && value !== null) expect(value).toMatch(OBJECT_ID);
  }
  for (const id of [n.contractId, n.customerId, n.changeId, n.entityId]) {
    if (id !== undefined) expect(id).toMatch(/^[0-9a-f]{24}$/);
  }
  expect(depthOf(body)).toBeLessThanOrEqual(MAX_NOTICE_DEPTH);
  expect(n.payload).toEqual(body);
  expect(typeof dedupeKey(n)).toBe('string');
  // What the stores keep reads back as the same notice.
  expect(noticeFromStore(1, JSON.parse(JSON.stringify(n)))).toEqual(n);
}

describe('parseNotice on arbitrary JSON', () => {
  it('answers any JSON value with a notice or a one-line reason, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue().map(viaJson), noticeBody().map(asBody)), (body) => {
        checkResult(body, parseNotice(body));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an id field that is present and not an ObjectId', () => {
    fc.assert(
      fc.property(noticeBody(), fc.constantFrom(...ID_FIELDS), oddId, (b, field, id) => {
        const body = asBody({ ...b, ids: { ...b.ids, [field]: id } }) as Record<string, unknown>;
        const value = body[field];
        const parsed = parseNotice(body);
        if (value !== null && !(typeof value === 'string' && OBJECT_ID.test(value))) {
          expect(parsed.ok).toBe(false);
        }
        checkResult(body, parsed);
      }),
      { numRuns: 300 },
    );
  });

  it('passes every unknown event name through', () => {
    const unknownName = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
      .filter((name) => name.trim().length <= 90 && !/\p{Cc}/u.test(name));
    fc.assert(
      fc.property(unknownName, hex24, fc.jsonValue({ maxDepth: 3 }), (name, contractId, extra) => {
        // `Zz` keeps the name out of billwerk's catalogue.
        const result = parseNotice({ Extra: extra, Event: `Zz${name}`, ContractId: contractId });
        expect(result).toMatchObject({ ok: true, notice: { kind: 'unknown', contractId } });
      }),
      { numRuns: 300 },
    );
  });
});
