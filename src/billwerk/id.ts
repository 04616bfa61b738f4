// billwerk's entity ids as a parsed type. billwerk's ids are MongoDB ObjectIds: 24 lowercase hex characters
// in every id its docs and webhooks show ([inferred]: the docs never state the format). Only `parseBillwerkId`
// makes a BillwerkId, and the REST client takes nothing else where it builds a path, so no outside string
// (a `..`, a `/`, a percent-encoding) can name another resource.

import { z } from 'zod';
import { UpstreamError } from './errors.js';

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

/** The same parse as a zod schema, for configuration and stored records. */
export const billwerkIdSchema = z.string().transform((value, ctx): BillwerkId => {
  const id = parseBillwerkId(value);
  if (id === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected a billwerk id (24 hex characters)' });
    return z.NEVER;
  }
  return id;
});

export function isBillwerkId(value: unknown): value is BillwerkId {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/** Longest external id (customer or contract `ExternalId`, a token's external customer claim) accepted. */
export const MAX_EXTERNAL_ID_LENGTH = 256;
/** Longest customer search text accepted. */
export const MAX_SEARCH_LENGTH = 200;

/**
 * An id taken from one of billwerk's own answers (a DTO field), checked before it is used in another call.
 * billwerk is trusted to send ObjectIds; an answer that does not is an upstream fault, not a path.
 */
export function answeredId(value: string, field: string): BillwerkId {
  const id = parseBillwerkId(value);
  if (id === undefined) {
    throw new UpstreamError(`billwerk answered a ${field} that is not an id`, {
      method: 'GET',
      path: `/${field}`,
    });
  }
  return id;
}
