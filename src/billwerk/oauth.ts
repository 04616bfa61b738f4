// The OAuth 2.0 client-credentials token for billwerk: fetched lazily, shared by concurrent callers
// (single flight), cached until shortly before it lapses, dropped when billwerk refuses it.
import { type Dispatcher } from 'undici';
import { z } from 'zod';
import { errorFromResponse, registerSecret, UpstreamError } from './errors.js';
import { TOKEN_PATH } from './retry.js';
import { parseSuccessBody, sendOnce } from './transport.js';

export interface TokenProviderOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** Upper bound on caching; billwerk documents no token lifetime (README "Authentication"). */
  tokenMaxAgeMs: number;
  /** Refresh this long before the lifetime runs out, but never before half of it has passed. */
  tokenRefreshMarginMs: number;
  now: () => number;
  /** Told about every token-endpoint exchange that got an answer (for logs and metrics). */
  onExchange?: (info: { status: number; durationMs: number }) => void;
}

export interface TokenProvider {
  /** A usable access token: the cached one, or one fetch shared by every caller waiting right now. */
  get(): Promise<string>;
  /** Forget `token` after billwerk refused it; a no-op if a newer token has already replaced it. */
  invalidate(token: string): void;
}

/**
 * billwerk answers `{access_token, token_type}`; `expires_in` is undocumented, so it is optional and
 * read leniently (some servers send it as a string).
 */
const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64');
  registerSecret(options.clientSecret);
  registerSecret(basic);

  let cached: { token: string; refreshAt: number } | undefined;
  // One fetch at a time: a burst of cold requests must not stampede the token endpoint.
  let inflight: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    // Lifetime counts from before the request: the server's clock started no earlier than this.
    const startedAt = options.now();
    const res = await sendOnce(options.dispatcher, {
      baseUrl: options.baseUrl,
      serverPath: TOKEN_PATH,
      reportPath: TOKEN_PATH,
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
      timeoutMs: options.timeoutMs,
    });
    options.onExchange?.({ status: res.status, durationMs: options.now() - startedAt });
    if (res.status >= 300) {
      throw errorFromResponse({
        method: 'POST',
        path: TOKEN_PATH,
        status: res.status,
        headers: res.headers,
        bodyText: res.bodyText,
        endpoint: 'token',
        nowMs: options.now(),
      });
    }
    const body = parseSuccessBody(res);
    const parsed = tokenResponseSchema.safeParse(body.ok ? body.value : undefined);
    if (!parsed.success) {
      throw new UpstreamError('billwerk token endpoint answered without an access token', {
        method: 'POST',
        path: TOKEN_PATH,
        status: res.status,
      });
    }
    const token = parsed.data.access_token;
    registerSecret(token);
    const expiresMs = parsed.data.expires_in === undefined ? Infinity : parsed.data.expires_in * 1000;
    const lifetimeMs = Math.min(expiresMs, options.tokenMaxAgeMs);
    // With a short-lived token the margin would swallow the whole lifetime and every call would refetch.
    const marginMs = Math.min(options.tokenRefreshMarginMs, lifetimeMs / 2);
    cached = { token, refreshAt: startedAt + lifetimeMs - marginMs };
    return token;
  }

  return {
    get() {
      if (cached && options.now() < cached.refreshAt) return Promise.resolve(cached.token);
      // A failed fetch clears `inflight` and leaves `cached` alone, so the next caller tries afresh.
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}
