// billwerk's entity ids as a parsed type. billwerk's ids are MongoDB ObjectIds: 24 lowercase hex characters
// in every id its docs and webhooks show ([inferred]: the docs never state the format). Only `parseBillwerkId`
// makes a BillwerkId, and the REST client takes nothing else where it builds a path, so no outside string
// (a `..`, a `/`, a percent-encoding) can name another resource.

declare const billwerkIdBrand: unique symbol;

/** A 24-character lowercase hex ObjectId, checked by `parseBillwerkId`. */
export type BillwerkId = string & { readonly [billwerkIdBrand]: true };

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** The id, or undefined when `value` is not a billwerk id. Upper-case hex is accepted and lower-cased. */
export function parseBillwerkId(value: unknown): BillwerkId | undefined {
  if (typeof value !== 'string' || value.length !== 24) return undefined;
  const lower = value.toLowerCase();
  return OBJECT_ID.test(lower) ? (lower as BillwerkId) : undefined;
}

export function isBillwerkId(value: unknown): value is BillwerkId {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/** Longest external id (customer or contract `ExternalId`, a token's external customer claim) accepted. */
export const MAX_EXTERNAL_ID_LENGTH = 256;
/** Longest customer search text accepted. */
export const MAX_SEARCH_LENGTH = 200;
