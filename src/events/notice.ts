// billwerk's webhook notices, parsed from `unknown` into a union of the families billwerk documents
// (../shared/billwerk/webhooks.md) plus `unknown` for the events it adds later, which pass through.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type WebhookNotice } from '../billwerk/dto.js';
import { MAX_EXTERNAL_ID_LENGTH, parseBillwerkId, type BillwerkId } from '../billwerk/id.js';
import { unreachable } from './unreachable.js';

/**
 * Deepest nesting accepted in a notice body (the body itself is level 1). billwerk's notices are flat; the
 * bound keeps every later walk of the payload (dedupe hash, storage, GraphQL's JSON scalar) shallow.
 */
export const MAX_NOTICE_DEPTH = 32;

/** What any notice may carry; a family makes part of it required. */
interface NoticeCommon {
  /** The event name as billwerk sent it; families are recognised case-insensitively. */
  event: string;
  /** billwerk's account id; on every current notice, absent from older ones (webhooks.md "Common fields"). */
  entityId?: BillwerkId;
  contractId?: BillwerkId;
  customerId?: BillwerkId;
  externalCustomerId?: string;
  /** ContractChangeId: names one contract change exactly. */
  changeId?: BillwerkId;
  /** ContractChangeType as sent (an open set: never switch on it exhaustively). */
  changeType?: string;
  /** The whole notice as received, unknown fields included. */
  payload: WebhookNotice;
}

/** ContractCreated or ContractChanged in billwerk's v2 shape: one contract change, named by its id. */
export interface ContractChangeNotice extends NoticeCommon {
  kind: 'contractChange';
  contractId: BillwerkId;
  changeId: BillwerkId;
}

/** The other contract events, and ContractChanged in its v1 shape (no change id): re-read the contract. */
export interface ContractNotice extends NoticeCommon {
  kind: 'contract';
  contractId: BillwerkId;
}

export interface CustomerNotice extends NoticeCommon {
  kind: 'customer';
  customerId: BillwerkId;
}

export interface OrderNotice extends NoticeCommon {
  kind: 'order';
  orderId: BillwerkId;
}

export interface InvoiceNotice extends NoticeCommon {
  kind: 'invoice';
  /** InvoiceId: the invoice InvoiceCreated announces. */
  invoiceId?: BillwerkId;
  /** Every invoice the notice names (InvoiceCorrected: OldInvoiceId and the deprecated NewInvoiceId). */
  invoiceIds: BillwerkId[];
}

/** Payments, dunning, payment bearers and balances. */
export interface PaymentNotice extends NoticeCommon {
  kind: 'payment';
  paymentTransactionId?: BillwerkId;
}

/** Plans, plan variants, components, discounts and coupons. */
export interface CatalogueNotice extends NoticeCommon {
  kind: 'catalogue';
}

/** Reports, export files and the deprecated AccountCreated. */
export interface AccountNotice extends NoticeCommon {
  kind: 'account';
}

/** An event this gateway does not know (billwerk adds events): stored and published all the same. */
export interface UnknownNotice extends NoticeCommon {
  kind: 'unknown';
}

export type ParsedNotice =
  | ContractChangeNotice
  | ContractNotice
  | CustomerNotice
  | OrderNotice
  | InvoiceNotice
  | PaymentNotice
  | CatalogueNotice
  | AccountNotice
  | UnknownNotice;

export type NoticeKind = ParsedNotice['kind'];

type Family = Exclude<NoticeKind, 'unknown'>;

/** billwerk's event catalogue by family (webhooks.md; Discount* and Coupon* [inferred] from the catalogue). */
const FAMILIES: Record<Exclude<Family, 'contractChange'>, readonly string[]> = {
  contract: [
    'ContractCreated',
    'ContractChanged',
    'ContractDataChanged',
    'ContractDeleted',
    'ContractCancelled',
    'RecurringBillingApproaching',
    'TrialEndApproaching',
  ],
  customer: ['CustomerCreated', 'CustomerChanged', 'CustomerDeleted', 'CustomerLocked', 'CustomerUnlocked'],
  order: ['OrderSucceeded'],
  invoice: ['InvoiceCreated', 'InvoiceCorrected'],
  payment: [
    'DunningCreated',
    'PaymentBearerExpiring',
    'PaymentBearerExpired',
    'DebitAuthCancelled',
    'PaymentDataChanged',
    'PaymentEscalationReset',
    'PaymentProcessStatusChanged',
    'PaymentEscalated',
    'PaymentSucceeded',
    'PaymentFailed',
    'PaymentRegistered',
    'AutomaticDowngradeInsufficientBalance',
    'InsufficientBalanceForNextBilling',
  ],
  catalogue: ['Plan', 'PlanVariant', 'Component', 'Discount', 'Coupon'].flatMap((entity) =>
    ['Created', 'Changed', 'Deleted'].map((what) => `${entity}${what}`),
  ),
  account: [
    'AccountCreated',
    'ReportSucceeded',
    'ReportFailed',
    'AccountingExportFileCreated',
    'PaymentsExportFileCreated',
  ],
};

/** The events whose v2 shape names a contract change (webhooks.md "ContractChanged in detail"). */
const CHANGE_EVENTS = new Set(['contractcreated', 'contractchanged']);

const familyByName = new Map<string, Exclude<Family, 'contractChange'>>(
  Object.entries(FAMILIES).flatMap(([family, names]) =>
    names.map((name) => [name.toLowerCase(), family as Exclude<Family, 'contractChange'>] as const),
  ),
);

const ID_MESSAGE = 'expected a billwerk id (24 hex characters)';

/** An ObjectId, lower-cased; null or absent is no id. */
const objectId = z
  .unknown()
  .transform((value, ctx): BillwerkId | undefined => {
    if (value === null) return undefined;
    const id = parseBillwerkId(value);
    if (id === undefined) ctx.addIssue({ code: 'custom', message: ID_MESSAGE });
    return id;
  })
  .optional();

/** The id fields billwerk documents; each is an ObjectId (or null) wherever it appears. */
const idFields = {
  EntityId: objectId,
  ContractId: objectId,
  CustomerId: objectId,
  ContractChangeId: objectId,
  OrderId: objectId,
  InvoiceId: objectId,
  OldInvoiceId: objectId,
  NewInvoiceId: objectId,
  OldInvoiceDraftId: objectId,
  NewInvoiceDraftId: objectId,
  NewInvoiceDraftIds: z.array(objectId).nullish(),
  DunningId: objectId,
  PaymentTransactionId: objectId,
  PaymentEscalationProcessId: objectId,
  PlanId: objectId,
  PlanVariantId: objectId,
  ComponentId: objectId,
  ReportId: objectId,
  FileId: objectId,
};

// Control characters would reach logs and metrics through the name; billwerk's names are plain words.
const CONTROL = /\p{Cc}/u;

const noticeSchema = z.looseObject({
  Event: z
    .string()
    .refine((name) => name.trim() !== '', 'Event must name the event')
    .refine((name) => name.trim().length <= 100, 'Event is longer than 100 characters')
    .refine((name) => !CONTROL.test(name), 'Event must not contain control characters'),
  ExternalCustomerId: z.string().max(MAX_EXTERNAL_ID_LENGTH).nullish(),
  // The prose of billwerk's docs says ContractChangedType, the payloads say ContractChangeType: accept both.
  ContractChangeType: z.string().max(100).nullish(),
  ContractChangedType: z.string().max(100).nullish(),
  ...idFields,
});

type Ids = z.output<z.ZodObject<typeof idFields>>;

export type NoticeParseResult = { ok: true; notice: ParsedNotice } | { ok: false; reason: string };

/** Whether `value`'s objects and arrays nest at most `max` levels (iteratively: the input may be hostile). */
function nestsWithin(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (depth > max) return false;
    for (const child of Object.values(node as object)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return true;
}

const refuse = (reason: string): NoticeParseResult => ({ ok: false, reason });

/**
 * Parses a webhook body. Every event name is accepted (an unknown one yields `kind: 'unknown'`), but an id
 * field that is present must be an ObjectId, and a known event must carry the id its family is about.
 * The reason of a refusal is one line naming the field, never the value.
 */
export function parseNotice(body: unknown): NoticeParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return refuse('the body must be a JSON object');
  }
  if (!nestsWithin(body, MAX_NOTICE_DEPTH)) {
    return refuse(`the body nests deeper than ${MAX_NOTICE_DEPTH} levels`);
  }
  const parsed = noticeSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const n = parsed.data;
  const ids: Ids = n;
  const common: NoticeCommon = {
    event: n.Event.trim(),
    entityId: ids.EntityId,
    contractId: ids.ContractId,
    customerId: ids.CustomerId,
    externalCustomerId: n.ExternalCustomerId ?? undefined,
    changeId: ids.ContractChangeId,
    changeType: n.ContractChangeType ?? n.ContractChangedType ?? undefined,
    // The body as received (ids in their original case): what subscribers see as the payload.
    payload: { ...body, Event: n.Event },
  };
  return classify(common, ids);
}

/** The family of the notice, checked for the id it is about. */
function classify(common: NoticeCommon, ids: Ids): NoticeParseResult {
  const needs = (field: string): NoticeParseResult => refuse(`${field}: ${common.event} needs ${field}`);
  const name = common.event.toLowerCase();
  const family = familyByName.get(name);
  switch (family) {
    case 'contract': {
      const { contractId, changeId } = common;
      if (!contractId) return needs('ContractId');
      if (changeId && CHANGE_EVENTS.has(name)) {
        return { ok: true, notice: { ...common, kind: 'contractChange', contractId, changeId } };
      }
      return { ok: true, notice: { ...common, kind: 'contract', contractId } };
    }
    case 'customer': {
      const { customerId } = common;
      if (!customerId) return needs('CustomerId');
      return { ok: true, notice: { ...common, kind: 'customer', customerId } };
    }
    case 'order': {
      const orderId = ids.OrderId;
      if (!orderId) return needs('OrderId');
      return { ok: true, notice: { ...common, kind: 'order', orderId } };
    }
    case 'invoice': {
      const invoiceIds = [ids.InvoiceId, ids.OldInvoiceId, ids.NewInvoiceId].filter(
        (id): id is BillwerkId => id !== undefined,
      );
      if (invoiceIds.length === 0) return needs('InvoiceId');
      return { ok: true, notice: { ...common, kind: 'invoice', invoiceId: ids.InvoiceId, invoiceIds } };
    }
    case 'payment':
      return {
        ok: true,
        notice: { ...common, kind: 'payment', paymentTransactionId: ids.PaymentTransactionId },
      };
    case 'catalogue':
      return { ok: true, notice: { ...common, kind: 'catalogue' } };
    case 'account':
      return { ok: true, notice: { ...common, kind: 'account' } };
    case undefined:
      return { ok: true, notice: { ...common, kind: 'unknown' } };
    default:
      return unreachable(family);
  }
}

/**
 * JSON with keys sorted at every level, so equal notices hash equally whatever their key order. Recursive:
 * parseNotice bounds a notice's nesting (MAX_NOTICE_DEPTH), so the recursion is shallow.
 */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The deduplication key of a notice. billwerk sends no event id and no signature, and retries the same
 * body (with `X-Retry-Count`). A contract change has its own id, so `ContractChangeId` names the
 * event exactly; any other notice is named by its event and the hash of its body.
 */
export function dedupeKey(notice: ParsedNotice): string {
  if (notice.changeId) return `change:${notice.event.toLowerCase()}:${notice.changeId}`;
  const hash = createHash('sha256').update(sortedJson(notice.payload)).digest('base64url');
  return `body:${notice.event.toLowerCase()}:${hash}`;
}

/**
 * Whether a repeat of this notice can be a new event rather than a retry. A contract change id is unique,
 * so never. Other notices (e.g. two ContractDataChanged for one contract) repeat legitimately; only a
 * delivery billwerk marks as a retry (`X-Retry-Count` ≥ 1) is matched against earlier ones.
 */
export function mayRepeat(notice: ParsedNotice, retryCount: number): boolean {
  return !notice.changeId && retryCount === 0;
}
