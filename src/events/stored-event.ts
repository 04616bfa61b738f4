// What the event logs read back from their stores (SQLite rows, Redis stream entries and hashes, replay
// messages), parsed instead of cast: a store is outside this process, and a row written by an older
// version, or by hand, must not become a typed value it is not.
import { z } from 'zod';
import type { Contract, ContractChange, Customer, Invoice } from '../billwerk/dto.js';
import type { DeliveryState, Enrichment, EventSource, StoredEvent } from './event-log.js';
import { parseNotice, type ParsedNotice } from './notice.js';
import { unpackJson } from './stored-codec.js';

/** A stored event that cannot be read back (a damaged row or entry). */
export class StoredEventError extends Error {
  constructor(
    readonly seq: number | undefined,
    reason: string,
  ) {
    super(`stored event ${seq ?? '?'} cannot be read: ${reason}`);
    this.name = 'StoredEventError';
  }
}

// The DTO fields each entity must have (dto.ts marks them required); the rest is kept as it was fetched.
const phase = z.looseObject({ Type: z.string(), StartDate: z.string() });
const contract: z.ZodType<Contract> = z.looseObject({
  Id: z.string(),
  CustomerId: z.string(),
  Currency: z.string(),
  LifecycleStatus: z.string(),
  StartDate: z.string(),
  Phases: z.array(phase),
});
const change: z.ZodType<ContractChange> = z.looseObject({
  Id: z.string(),
  Type: z.string(),
  Timestamp: z.string(),
  ContractId: z.string(),
  ChangeDate: z.string(),
  Contract: contract.optional(),
});
const customer: z.ZodType<Customer> = z.looseObject({ Id: z.string(), CreatedAt: z.string() });
const amount = z.union([z.number(), z.string()]);
const invoice: z.ZodType<Invoice> = z.looseObject({
  Id: z.string(),
  InvoiceNumber: z.string(),
  CustomerId: z.string(),
  Created: z.string(),
  DocumentDate: z.string(),
  Currency: z.string(),
  TotalNet: amount,
  TotalVat: amount,
  TotalGross: amount,
  IsInvoice: z.union([z.boolean(), z.string()]),
});

export const enrichmentSchema: z.ZodType<Enrichment> = z.object({
  contract: contract.optional(),
  change: change.optional(),
  customer: customer.optional(),
  invoice: invoice.optional(),
});

const deliveryState = z.enum(['received', 'published', 'failed']) satisfies z.ZodType<DeliveryState>;
const eventSource = z.enum(['webhook', 'reconciled']) satisfies z.ZodType<EventSource>;

/** `value` parsed by `schema`, or a StoredEventError naming the first problem. */
export function parseFields<S extends z.ZodType>(
  seq: number | undefined,
  schema: S,
  value: unknown,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new StoredEventError(seq, `${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}`);
}

function parseJson(seq: number | undefined, text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StoredEventError(seq, `its ${what} is not JSON`);
  }
}

const storedNotice = z.object({ payload: z.looseObject({ Event: z.string() }) });

/**
 * A stored notice, derived again from the payload it was received with, so it has the shape this version
 * parses to. A payload an older version accepted and this one refuses (an id that is not an ObjectId) is
 * kept readable as an unknown event whose ids are not read: the log must not stall on its own history.
 */
export function noticeFromStore(seq: number | undefined, value: unknown): ParsedNotice {
  const { payload } = parseFields(seq, storedNotice, value);
  const parsed = parseNotice(payload);
  if (parsed.ok) return parsed.notice;
  return { kind: 'unknown', event: payload.Event, payload };
}

export const enrichmentFromStore = (seq: number | undefined, value: unknown): Enrichment =>
  parseFields(seq, enrichmentSchema, value);

/** A notice or enrichment column or field: JSON text. */
export const noticeFromText = (seq: number | undefined, text: string): ParsedNotice =>
  noticeFromStore(seq, parseJson(seq, text, 'notice'));
export const enrichmentFromText = (seq: number | undefined, text: string): Enrichment =>
  enrichmentFromStore(seq, parseJson(seq, text, 'enrichment'));

/** A notice or enrichment column: JSON text (rows of older versions) or its packed form (stored-codec.ts). */
const storedJson = z.union([z.string(), z.instanceof(Buffer)]);

function unpacked(seq: number, stored: string | Buffer, what: string): string {
  try {
    return unpackJson(stored);
  } catch {
    throw new StoredEventError(seq, `its ${what} cannot be unpacked`);
  }
}

/** A row of the SQLite log: an event joined with its publication or its pending attempts. */
const rowSchema = z.object({
  seq: z.number().int().positive(),
  published_seq: z.number().int().positive().nullable(),
  state: deliveryState.nullable(),
  source: eventSource,
  notice: storedJson,
  received_at: z.number(),
  published_at: z.number().nullable(),
  enrichment: storedJson.nullable(),
  attempts: z.number().int().nonnegative().nullable(),
  last_error: z.string().nullable(),
});

/**
 * An event of the SQLite log. Its enrichment (most of a row) is unpacked and parsed when first read, not
 * with the row: a subscription resuming with `after` reads every event since its cursor to find the few
 * it matches, and parsing each one's contract and customer was most of what the gateway allocated under
 * reconnecting subscribers. A damaged enrichment therefore throws its StoredEventError where it is read.
 */
export function eventFromRow(value: unknown): StoredEvent {
  const row = parseFields(undefined, rowSchema, value);
  const event: StoredEvent = {
    seq: row.seq,
    publishedSeq: row.published_seq ?? undefined,
    state: row.state ?? 'received',
    source: row.source,
    notice: noticeFromText(row.seq, unpacked(row.seq, row.notice, 'notice')),
    receivedAt: new Date(row.received_at),
    publishedAt: row.published_at === null ? undefined : new Date(row.published_at),
    attempts: row.attempts ?? 0,
    lastError: row.last_error ?? undefined,
  };
  const stored = row.enrichment;
  if (stored !== null) {
    let parsed: Enrichment | undefined;
    // Own and enumerable, so a copy ({ ...event }) or JSON carries the enrichment like a plain field.
    Object.defineProperty(event, 'enrichment', {
      enumerable: true,
      configurable: true,
      get: () => (parsed ??= enrichmentFromText(row.seq, unpacked(row.seq, stored, 'enrichment'))),
    });
  }
  return event;
}

/** A decimal integer as Redis returns numbers: a string. */
const integer = z
  .string()
  .regex(/^\d{1,16}$/, 'expected an integer')
  .transform(Number);

/** When an entry of either stream was received (what pruning reads). */
export const receivedField = z.object({ r: integer });

/** The fields of an inbox entry (the notice on receipt). */
export const inboxFields = receivedField.extend({
  n: z.string(),
  s: eventSource.default('webhook'),
});

/** A delivery-state hash (absent fields: not yet). */
export const stateFields = z.object({
  st: deliveryState.optional(),
  ps: integer.optional(),
  pa: integer.optional(),
  a: integer.optional(),
  err: z.string().optional(),
});

/** The fields of a published entry: the inbox fields, the delivery state and the enrichment. */
export const publishedFields = inboxFields.extend({
  seq: integer,
  st: deliveryState,
  pa: integer,
  by: z.string().optional(),
  a: integer.optional(),
  err: z.string().optional(),
  en: z.string().optional(),
});

/** A stored event as JSON carries it (dates as ISO strings), e.g. in a replay message. */
const eventJson = z.object({
  seq: z.number().int().positive(),
  publishedSeq: z.number().int().positive().optional(),
  state: deliveryState,
  source: eventSource,
  notice: z.unknown(),
  receivedAt: z.iso.datetime(),
  publishedAt: z.iso.datetime().optional(),
  enrichment: z.unknown().optional(),
  attempts: z.number().int().nonnegative(),
  lastError: z.string().optional(),
  replayed: z.boolean().optional(),
});

export function eventFromJson(value: unknown): StoredEvent {
  const e = parseFields(undefined, eventJson, value);
  return {
    ...e,
    notice: noticeFromStore(e.seq, e.notice),
    receivedAt: new Date(e.receivedAt),
    publishedAt: e.publishedAt === undefined ? undefined : new Date(e.publishedAt),
    enrichment: e.enrichment === undefined ? undefined : enrichmentFromStore(e.seq, e.enrichment),
  };
}
