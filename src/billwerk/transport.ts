// One HTTP exchange with billwerk over undici: URL and query building, the per-request deadline, and
// turning socket failures into TimeoutError/NetworkError. Status codes are judged by the caller.
import { request, type Dispatcher } from 'undici';
import { NetworkError, TimeoutError, type ResponseHeaders } from './errors.js';

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export interface OutgoingRequest {
  /** Host root plus the server path, e.g. `https://sandbox.billwerk.com` + `/api/v1/customers`. */
  baseUrl: string;
  serverPath: string;
  query?: Query;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body?: string;
  /** Covers connect, headers and the whole body. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** The path errors report (relative to /api/v1, as the caller named it). */
  reportPath: string;
}

export interface RawResponse {
  status: number;
  headers: ResponseHeaders;
  bodyText: string;
}

/** Lenient reading of a success body: 204 or an empty body is undefined, anything else must be JSON. */
export function parseSuccessBody(res: RawResponse): { ok: true; value: unknown } | { ok: false } {
  if (res.status === 204 || res.bodyText.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(res.bodyText) as unknown };
  } catch {
    return { ok: false };
  }
}

/** `?a=1&b=x`, skipping undefined values; empty when nothing remains. */
export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function buildUrl(baseUrl: string, serverPath: string, query?: Query): string {
  return `${baseUrl.replace(/\/+$/, '')}${serverPath}${queryString(query)}`;
}

// undici's own deadline errors; they surface as TimeoutError like our AbortController deadline does.
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
// Errors that mean we called undici wrongly: a bug to surface as-is, never a retryable network error.
const PROGRAMMING_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_INVALID_RETURN_VALUE', 'ERR_INVALID_URL']);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // fetch-style wrappers hide the socket error one level down.
  return errorCode((error as { cause?: unknown }).cause);
}

/**
 * Sends one request and reads the whole body. Throws TimeoutError or NetworkError for transport failures,
 * the caller's own abort reason when the caller aborted, and returns every HTTP status unjudged.
 */
export async function sendOnce(dispatcher: Dispatcher, req: OutgoingRequest): Promise<RawResponse> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, deadline.signal]) : deadline.signal;
  const where = { method: req.method, path: req.reportPath };
  try {
    const res = await request(buildUrl(req.baseUrl, req.serverPath, req.query), {
      dispatcher,
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal,
      // Backstops for the deadline above; undici's defaults are five minutes.
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    // Always drain the body: an unread body pins the keep-alive socket.
    const bodyText = await res.body.text();
    return { status: res.statusCode, headers: res.headers, bodyText };
  } catch (error) {
    req.signal?.throwIfAborted();
    const code = errorCode(error);
    if (deadline.signal.aborted || (code !== undefined && TIMEOUT_CODES.has(code))) {
      throw new TimeoutError(`billwerk did not answer within ${req.timeoutMs} ms`, where);
    }
    if (error instanceof TypeError || (code !== undefined && PROGRAMMING_CODES.has(code))) throw error;
    throw new NetworkError('could not reach billwerk', { ...where, detail: code ?? 'connection failed' });
  } finally {
    clearTimeout(timer);
  }
}
