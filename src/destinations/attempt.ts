// One delivery attempt: a signed POST over undici that follows no redirect, gives up after the attempt
// timeout, reads at most 64 KB of the answer (its content is never kept), and reports what happened as
// a short text fit for operators (a status code, or the kind of connection failure).
import { Agent, request } from 'undici';
import { BlockedAddressError, checkAddresses, guardedLookup, type UrlPolicy } from './url-safety.js';
import { signedHeaders } from './signer.js';

export interface AttemptRequest {
  url: string;
  /** The `webhook-id`: the event's cursor, the same on every retry. */
  id: string;
  body: string;
  /** Every secret that signs now (the current one first). */
  secrets: readonly string[];
}

export type AttemptOutcome =
  | { ok: true; status: number; durationMs: number }
  | { ok: false; status: number | null; error: string; durationMs: number };

export interface Sender {
  send(request: AttemptRequest): Promise<AttemptOutcome>;
  /** Ends every attempt in flight (each is recorded as failed and retried after a restart). */
  close(): Promise<void>;
}

export interface SenderOptions {
  policy: UrlPolicy;
  /** Longest attempt, connection to last byte. @default 10000 */
  timeoutMs?: number;
  /** Most bytes of an answer read before the connection is dropped. @default 65536 */
  maxResponseBytes?: number;
  /** Wall clock for `webhook-timestamp` (receivers compare it with theirs). @default Date.now */
  now?: () => number;
}

/** An undici or socket error as an operator reads it; never the receiver's body. */
function describe(error: unknown, timeoutMs: number): string {
  if (
    error instanceof BlockedAddressError ||
    (error as { cause?: unknown }).cause instanceof BlockedAddressError
  )
    return 'refused: the host resolves to a private or reserved address';
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  )
    return `timeout: no complete answer within ${timeoutMs / 1000} s`;
  if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return `connection failed (${code})`;
  return 'connection failed';
}

/** Reads and drops at most `limit` bytes of a body, then closes it: a huge answer costs nothing. */
async function drain(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read >= limit) break;
  }
  body.destroy();
}

export function createSender(options: SenderOptions): Sender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const limit = options.maxResponseBytes ?? 65_536;
  const now = options.now ?? Date.now;
  const { policy } = options;
  const agent = new Agent({
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs, ...(policy.allowPrivate ? {} : { lookup: guardedLookup }) },
  });

  async function send(attempt: AttemptRequest): Promise<AttemptOutcome> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    try {
      // Names are resolved again at every attempt; the connection's own lookup checks the address used.
      await checkAddresses(new URL(attempt.url), policy);
    } catch {
      return {
        ok: false,
        status: null,
        error: 'refused: the host resolves to a private or reserved address',
        durationMs: elapsed(),
      };
    }
    try {
      const response = await request(attempt.url, {
        method: 'POST',
        dispatcher: agent,
        headers: signedHeaders(attempt.secrets, attempt.id, Math.floor(now() / 1000), attempt.body),
        body: attempt.body,
        // undici's request follows no redirect (only its redirect interceptor would): a 3xx is a failure.
        signal: AbortSignal.timeout(timeoutMs),
      });
      const { statusCode: status } = response;
      // The status decides; an answer that stalls or breaks after it changes nothing.
      await drain(response.body, limit).catch(() => undefined);
      if (status >= 200 && status < 300) return { ok: true, status, durationMs: elapsed() };
      const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
      return { ok: false, status, error: `HTTP ${status}${redirect}`, durationMs: elapsed() };
    } catch (error) {
      return { ok: false, status: null, error: describe(error, timeoutMs), durationMs: elapsed() };
    }
  }

  // A shutdown must not wait up to the attempt timeout for a slow endpoint.
  return { send, close: () => agent.destroy() };
}
