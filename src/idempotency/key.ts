// Which key a mutation runs under (its idempotencyKey input, else the request's Idempotency-Key header)
// and what "the same input" means for that key (the fingerprint of the operation and its input).
import { createHash } from 'node:crypto';
import { type IncomingHttpHeaders } from 'node:http';
import { type GraphQLContext } from '../graphql/context.js';
import { ErrorCode, GatewayError } from '../graphql/errors.js';

/** The IETF Idempotency-Key draft and Stripe both cap keys at 255 characters. */
export const MAX_KEY_LENGTH = 255;

/** The request's `Idempotency-Key` header, if it sent one (the first, if it sent several). */
export function idempotencyKeyHeader(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['idempotency-key'];
  return Array.isArray(value) ? value[0] : value;
}

/** How many mutation fields of a request used its Idempotency-Key header. */
const headerUses = new WeakMap<object, number>();

/** The key of a mutation: the input field, else the header (which covers one mutation per request). */
export function resolveKey(ctx: GraphQLContext, inputKey: string | null | undefined): string {
  const header = ctx.idempotencyKeyHeader;
  if (inputKey != null && header !== undefined && inputKey !== header) {
    throw keyError('idempotencyKey and the Idempotency-Key header differ; send one of them.');
  }
  const key = inputKey ?? header;
  if (key === undefined) {
    throw keyError('An idempotency key is required: set idempotencyKey or the Idempotency-Key header.');
  }
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key)) {
    throw keyError(`The idempotency key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters.`);
  }
  if (inputKey == null) {
    const uses = (headerUses.get(ctx) ?? 0) + 1;
    headerUses.set(ctx, uses);
    if (uses > 1) {
      throw keyError(
        'The Idempotency-Key header covers one mutation per request; give each mutation its own idempotencyKey.',
      );
    }
  }
  return key;
}

function keyError(message: string): GatewayError {
  return new GatewayError(ErrorCode.BAD_USER_INPUT, message, { field: 'idempotencyKey' });
}

/**
 * An input as its fingerprint sees it: JSON with sorted keys (the order fields were written in does not
 * count), an absent field and a null one alike (GraphQL lets a client send either), dates as ISO text.
 */
function inputText(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(inputText).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined && item !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, item]) => `${JSON.stringify(k)}:${inputText(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What a key is bound to: a hash of the mutation's name and its normalised input. */
export function fingerprintOf(operation: string, input: unknown): string {
  return createHash('sha256')
    .update(`${operation}\n${inputText(input)}`)
    .digest('hex');
}
