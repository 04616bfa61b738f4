// billwerk's webhook notices, parsed from `unknown`: an `Event` name plus ids, no business data
// (../shared/billwerk/webhooks.md). Every event name is accepted; known ones are recognised by family.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type WebhookNotice } from '../billwerk/dto.js';

/** billwerk ids are 24-hex ObjectIds; accept any short token so an odd id never blocks a notice. */
const id = z.string().regex(/^[\w-]{1,64}$/, 'expected a billwerk id');
const optionalId = id.nullish().transform((v) => v ?? undefined);

/** The fields we read; everything else in the notice is kept verbatim in the payload. */
const noticeSchema = z
  .object({
    Event: z.string().trim().min(1, 'Event must name the event').max(100),
    EntityId: optionalId,
    ContractId: optionalId,
    CustomerId: optionalId,
    ExternalCustomerId: z.string().max(256).nullish(),
    ContractChangeId: optionalId,
    // The prose of billwerk's docs says ContractChangedType, the payloads say ContractChangeType: accept both.
    ContractChangeType: z.string().max(100).nullish(),
    ContractChangedType: z.string().max(100).nullish(),
    OrderId: optionalId,
    InvoiceId: optionalId,
    PaymentTransactionId: optionalId,
  })
  .passthrough();

export interface ParsedNotice {
  /** The event name as billwerk sent it (an open set). */
  event: string;
  contractId?: string;
  customerId?: string;
  externalCustomerId?: string;
  changeId?: string;
  changeType?: string;
  /** The whole notice as received, unknown fields included. */
  payload: WebhookNotice;
}

export type NoticeParseResult = { ok: true; notice: ParsedNotice } | { ok: false; reason: string };

export function parseNotice(body: unknown): NoticeParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'the body must be a JSON object' };
  }
  const parsed = noticeSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` };
  }
  const n = parsed.data;
  return {
    ok: true,
    notice: {
      event: n.Event,
      contractId: n.ContractId,
      customerId: n.CustomerId,
      externalCustomerId: n.ExternalCustomerId ?? undefined,
      changeId: n.ContractChangeId,
      changeType: n.ContractChangeType ?? n.ContractChangedType ?? undefined,
      payload: body as WebhookNotice,
    },
  };
}

/** JSON with keys sorted at every level, so equal notices hash equally whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The deduplication key of a notice. billwerk sends no event id and no signature, and retries the same
 * body (with `X-Retry-Count`). A contract change has its own id, so `ContractChangeId` names the
 * event exactly; any other notice is named by its event and the hash of its body.
 */
export function dedupeKey(notice: ParsedNotice): string {
  if (notice.changeId) return `change:${notice.event.toLowerCase()}:${notice.changeId.toLowerCase()}`;
  const hash = createHash('sha256').update(canonical(notice.payload)).digest('base64url');
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
