// Typed errors of the billwerk client, and the one function that maps an HTTP answer to them.
// Every message is redacted here, inside the classes, so no call site can leak a secret or a body.
import { z } from 'zod';

/** Stable machine-readable kind of a billwerk failure; the GraphQL layer maps these to `extensions.code`. */
export type BillwerkErrorCode =
  | 'UNEXPECTED'
  | 'NOT_FOUND'
  | 'VALIDATION'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'AUTHENTICATION'
  | 'FORBIDDEN'
  | 'UPSTREAM'
  | 'TIMEOUT'
  | 'NETWORK';

export interface BillwerkErrorInit {
  method: string;
  /** The path as requested; its query's secret-looking values are redacted before it is stored. */
  path: string;
  /** HTTP status, absent when no answer arrived (timeout, network). */
  status?: number;
  requestId?: string;
  /** billwerk's `Message` (or `ErrorMessage`), the only part of an upstream body we keep. */
  billwerkMessage?: string;
  /** Extra words for the message, e.g. the socket error code. Redacted like everything else. */
  detail?: string;
}

const REDACTED = '[redacted]';
/** billwerk's own messages are short; anything longer is a stack trace or an echoed body. */
const MAX_MESSAGE_CHARS = 300;
/** Tokens are replaced often; keep the newest few hundred values so the set cannot grow forever. */
const MAX_KNOWN_SECRETS = 256;
const knownSecrets = new Set<string>();

/**
 * Teaches redaction a literal secret (the client secret, each access token), so it is masked even where
 * no pattern below would recognise it, e.g. echoed inside a billwerk `Message`.
 */
export function registerSecret(value: string): void {
  // Very short values would mask ordinary words; real secrets and tokens are far longer.
  if (value.length < 6) return;
  knownSecrets.delete(value);
  knownSecrets.add(value);
  if (knownSecrets.size > MAX_KNOWN_SECRETS) {
    const oldest = knownSecrets.values().next();
    if (oldest.done !== true) knownSecrets.delete(oldest.value);
  }
}

const SECRET_KEYS = 'access_token|refresh_token|client_secret|clientSecret|password|token|secret|api_?key';
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  // `Authorization: Bearer abc`, `Basic dXNlcjpwdw==` wherever a header got formatted into text.
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  [/\b(authorization)(["']?\s*[:=]\s*["']?)[^"',;\n]+/gi, `$1$2${REDACTED}`],
  // Query strings, form bodies and JSON: `access_token=abc`, `"client_secret":"abc"`.
  [new RegExp(`\\b(${SECRET_KEYS})(["']?\\s*[:=]\\s*["']?)[^&\\s"',;]+`, 'gi'), `$1$2${REDACTED}`],
];

/** Masks known secrets and anything shaped like a credential. Used by every error and log line here. */
export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join(REDACTED);
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A path fit for messages and logs: query values under secret-looking keys masked. */
export function redactPath(path: string): string {
  const at = path.indexOf('?');
  if (at < 0) return redact(path);
  const params = new URLSearchParams(path.slice(at + 1));
  const secretKey = new RegExp(`^(${SECRET_KEYS})$`, 'i');
  for (const key of new Set(params.keys())) {
    if (secretKey.test(key)) params.set(key, REDACTED);
  }
  return redact(`${path.slice(0, at)}?${params.toString().replaceAll('%5Bredacted%5D', REDACTED)}`);
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_MESSAGE_CHARS ? oneLine : `${oneLine.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/** Base class: carries status, method, path and billwerk's request id, never a body or a header. */
export class BillwerkError extends Error {
  readonly code: BillwerkErrorCode = 'UNEXPECTED';
  readonly status: number | undefined;
  readonly method: string;
  readonly path: string;
  readonly requestId: string | undefined;
  readonly billwerkMessage: string | undefined;

  constructor(summary: string, init: BillwerkErrorInit) {
    const path = redactPath(init.path);
    const billwerkMessage =
      init.billwerkMessage === undefined ? undefined : truncate(redact(init.billwerkMessage));
    const parts = [`${summary} (${init.method} ${path}`];
    if (init.status !== undefined) parts.push(` → ${init.status}`);
    parts.push(')');
    if (init.detail !== undefined) parts.push(`: ${truncate(init.detail)}`);
    if (billwerkMessage) parts.push(`: ${billwerkMessage}`);
    super(redact(parts.join('')));
    this.name = new.target.name;
    this.status = init.status;
    this.method = init.method;
    this.path = path;
    this.requestId = init.requestId;
    this.billwerkMessage = billwerkMessage;
  }
}

/** 404: unknown id or endpoint. */
export class NotFoundError extends BillwerkError {
  override readonly code = 'NOT_FOUND';
}

/** 400 (unparseable body) or 422 (invalid fields, broken business rule). */
export class ValidationError extends BillwerkError {
  override readonly code = 'VALIDATION';
  /** billwerk's `ErrorCode` on order-level domain errors, e.g. `InvalidCouponCode`. */
  readonly errorCode: string | undefined;
  constructor(summary: string, init: BillwerkErrorInit & { errorCode?: string }) {
    super(summary, init);
    this.errorCode = init.errorCode;
  }
}

/** 409, or 412 when an `If-Match` ETag is stale. */
export class ConflictError extends BillwerkError {
  override readonly code = 'CONFLICT';
}

/** 429, or the legacy 403 "rate limit exceeded"; the request was not processed. */
export class RateLimitedError extends BillwerkError {
  override readonly code = 'RATE_LIMITED';
  /** From `Retry-After` (seconds or HTTP date), when billwerk sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(summary: string, init: BillwerkErrorInit & { retryAfterMs?: number }) {
    super(summary, init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** 401 that survived a token refresh, or the token endpoint refusing the client credentials. */
export class AuthenticationError extends BillwerkError {
  override readonly code = 'AUTHENTICATION';
}

/** 403: the API client may not do this (or the legal entity is not its own). */
export class ForbiddenError extends BillwerkError {
  override readonly code = 'FORBIDDEN';
}

/** 5xx, or a success answer we could not read. */
export class UpstreamError extends BillwerkError {
  override readonly code = 'UPSTREAM';
}

/** No complete answer within `timeoutMs`; billwerk may or may not have acted on the request. */
export class TimeoutError extends BillwerkError {
  override readonly code = 'TIMEOUT';
}

/** The connection failed (refused, reset, DNS); billwerk may have acted if it broke mid-request. */
export class NetworkError extends BillwerkError {
  override readonly code = 'NETWORK';
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  // The RFC allows only whole seconds; fractions are read leniently rather than ignored.
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // HTTP dates in all three RFC formats open with a day name; Date.parse alone would accept "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The fields we read from a billwerk error body; everything else in it is dropped unread. */
const errorBodySchema = z.object({
  Message: z.string().optional(),
  ErrorCode: z.string().optional(),
  ErrorMessage: z.string().optional(),
  // OAuth-style answer from the token endpoint (RFC 6749 §5.2).
  error_description: z.string().optional(),
});

function readErrorBody(text: string): z.infer<typeof errorBodySchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {};
  }
  const parsed = errorBodySchema.safeParse(json);
  return parsed.success ? parsed.data : {};
}

// Older installations answer 403 with one of these texts instead of 429 (README "Rate limits").
const LEGACY_RATE_LIMIT = /rate limit exceeded|login attempts exceeded/i;
// billwerk documents no request-id header; these are the conventional names, read if present.
const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-correlation-id'];

export type ResponseHeaders = Record<string, string | string[] | undefined>;

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface FailedResponse {
  method: string;
  path: string;
  status: number;
  headers: ResponseHeaders;
  bodyText: string;
  /** The token endpoint's refusals mean bad client credentials, not a stale token. */
  endpoint: 'api' | 'token';
  nowMs: number;
}

/** The one place an HTTP status becomes an error class. */
export function errorFromResponse(res: FailedResponse): BillwerkError {
  const body = readErrorBody(res.bodyText);
  const requestId = REQUEST_ID_HEADERS.map((name) => header(res.headers, name)).find(Boolean);
  const billwerkMessage = body.Message ?? body.ErrorMessage ?? body.error_description;
  const init: BillwerkErrorInit = {
    method: res.method,
    path: res.path,
    status: res.status,
    requestId,
    billwerkMessage,
  };
  const { status } = res;
  const legacyRateLimit = status === 403 && LEGACY_RATE_LIMIT.test(billwerkMessage ?? res.bodyText);
  if (status === 429 || legacyRateLimit) {
    const retryAfterMs = parseRetryAfterMs(header(res.headers, 'retry-after'), res.nowMs);
    return new RateLimitedError('billwerk rate limit reached', { ...init, retryAfterMs });
  }
  if (res.endpoint === 'token' && (status === 400 || status === 401 || status === 403)) {
    return new AuthenticationError('billwerk refused the client credentials', init);
  }
  if (status === 400 || status === 422) {
    return new ValidationError('billwerk rejected the request', { ...init, errorCode: body.ErrorCode });
  }
  if (status === 401) return new AuthenticationError('billwerk rejected the access token', init);
  if (status === 403) return new ForbiddenError('billwerk forbade the request', init);
  if (status === 404) return new NotFoundError('billwerk found no such resource', init);
  if (status === 409 || status === 412) {
    return new ConflictError('billwerk reported a conflicting or stale update', init);
  }
  if (status >= 500) return new UpstreamError('billwerk failed', init);
  return new BillwerkError('billwerk answered with an unexpected status', init);
}
