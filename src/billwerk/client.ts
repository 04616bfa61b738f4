// The billwerk REST API v1 client: options, the keep-alive dispatcher, the token, and the request pipeline
// (token → send → one replay on 401 → status mapping → retry table). Resource methods live in resources.ts.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Agent, type Dispatcher } from 'undici';
import { z } from 'zod';
import { BillwerkError, errorFromResponse, redactPath, UpstreamError } from './errors.js';
import { createTokenProvider, type TokenProvider } from './oauth.js';
import { walkPages, fetchPageAfter, type RawPageSource } from './paging.js';
import {
  createResources,
  type BillwerkCore,
  type BillwerkResources,
  type HttpMethod,
  type PageRequest,
  type RequestOptions,
} from './resources.js';
import { TOKEN_PATH, withRetries } from './retry.js';
import { type ApiRoute } from './route.js';
import { parseSuccessBody, queryString, sendOnce, type Query, type RawResponse } from './transport.js';

/** What `onResponse` hears about each upstream call. */
export interface UpstreamCallInfo {
  method: string;
  /** Path relative to /api/v1 (or `/oauth/token`), query secrets redacted. */
  path: string;
  /**
   * The route template the call site wrote (`/contracts/{id}/end`, or `/oauth/token`): a closed set, so it is
   * what metrics and traces label calls with.
   */
  endpoint: string;
  /** HTTP status; 0 when no answer arrived (timeout, network error). */
  status: number;
  durationMs: number;
  /** 1 for the first send of a request, counting retries and the replay after a 401. */
  attempt: number;
}

export interface BillwerkClientOptions {
  /** Host root, e.g. https://sandbox.billwerk.com; the client adds /api/v1 and /oauth/token. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Per-request timeout (connect, headers and body). @default 10000 */
  timeoutMs?: number;
  /** Retries for idempotent requests and 429. @default 2 */
  maxRetries?: number;
  /** Base backoff; jittered, doubled per attempt, capped at 5 s. @default 200 */
  retryBaseDelayMs?: number;
  /** Longest Retry-After we honour before giving up with RateLimitedError. @default 30000 */
  maxRetryAfterMs?: number;
  /** Cache a token at most this long (billwerk documents no lifetime). @default 86400000 (24 h) */
  tokenMaxAgeMs?: number;
  /** Refresh this long before expires_in runs out (at most half the lifetime). @default 60000 */
  tokenRefreshMarginMs?: number;
  /** undici dispatcher. @default a keep-alive Agent owned (and closed) by the client */
  dispatcher?: Dispatcher;
  /** Clock in epoch milliseconds, for token expiry and Retry-After dates. @default Date.now */
  now?: () => number;
  /** Randomness in [0, 1) for backoff jitter. @default Math.random */
  random?: () => number;
  /** Waits between retries. @default a timer */
  sleep?: (ms: number) => Promise<void>;
  /** Gets one debug line per upstream call and a warning per retry; never headers or bodies. @default silent */
  logger?: Logger;
  /** Sent as X-SELECTED-LEGAL-ENTITY-ID on multi-entity accounts. @default none */
  legalEntityId?: string;
  /** Called after every upstream call, the token endpoint's included (metrics/tracing hooks). */
  onResponse?: (info: UpstreamCallInfo) => void;
}

export interface BillwerkClient extends BillwerkCore, BillwerkResources {
  /** Stops new requests and closes the dispatcher if the client created it. */
  close(): Promise<void>;
}

const API_ROOT = '/api/v1';

const optionsSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  timeoutMs: z.number().int().positive().default(10_000),
  maxRetries: z.number().int().min(0).default(2),
  retryBaseDelayMs: z.number().min(0).default(200),
  maxRetryAfterMs: z.number().min(0).default(30_000),
  tokenMaxAgeMs: z
    .number()
    .positive()
    .default(24 * 60 * 60 * 1000),
  tokenRefreshMarginMs: z.number().min(0).default(60_000),
  legalEntityId: z.string().min(1).optional(),
});

/** Validates and defaults the options once; the message names the bad option, never a secret's value. */
function resolveOptions(options: BillwerkClientOptions) {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new TypeError(`Invalid billwerk client options: ${problems.join('; ')}`);
  }
  return Object.freeze({
    ...parsed.data,
    baseUrl: parsed.data.baseUrl.replace(/\/+$/, ''),
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? ((ms: number) => delay(ms)),
  });
}

/** Lists must be arrays of objects with an Id: paging depends on it, so check before trusting it. */
function asPage<T extends { Id: string }>(value: unknown, method: string, path: string): T[] {
  const isPage =
    Array.isArray(value) &&
    value.every(
      (item) =>
        typeof item === 'object' && item !== null && typeof (item as { Id?: unknown }).Id === 'string',
    );
  if (!isPage) {
    throw new UpstreamError('billwerk answered a list request with something else', { method, path });
  }
  return value as T[];
}

type ResolvedOptions = ReturnType<typeof resolveOptions>;

/** What every request of one client shares. */
interface Pipeline {
  readonly o: ResolvedOptions;
  readonly dispatcher: Dispatcher;
  readonly tokens: TokenProvider;
  readonly log: Logger | undefined;
  /** One debug line and `onResponse` per upstream call. */
  readonly report: (info: UpstreamCallInfo) => void;
  /** Set by close(): later requests fail before they reach the dispatcher. */
  closed: boolean;
}

/** One request on its way through the pipeline: its sends (the replay after a 401, retries) share it. */
interface Call {
  readonly method: HttpMethod;
  readonly route: ApiRoute;
  readonly opts: RequestOptions;
  /** What logs, metrics and errors name: the path and query, query secrets redacted. */
  readonly reportPath: string;
  readonly body: string | undefined;
  /** Sends so far; numbers each send's `attempt`. */
  sends: number;
}

/** The options of a call that gives none (shared, never written). */
const NO_OPTIONS: RequestOptions = Object.freeze({});

/** The client-credentials token (oauth.ts); each exchange is reported as a call to the token endpoint. */
function createTokens(o: ResolvedOptions, dispatcher: Dispatcher, report: Pipeline['report']): TokenProvider {
  return createTokenProvider({
    baseUrl: o.baseUrl,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    dispatcher,
    timeoutMs: o.timeoutMs,
    tokenMaxAgeMs: o.tokenMaxAgeMs,
    tokenRefreshMarginMs: o.tokenRefreshMarginMs,
    now: o.now,
    onExchange: ({ status, durationMs }) =>
      report({ method: 'POST', path: TOKEN_PATH, endpoint: TOKEN_PATH, status, durationMs, attempt: 1 }),
  });
}

/** A send's headers: the caller's (names lower-cased), then the ones the client owns, which win. */
function buildHeaders(
  o: ResolvedOptions,
  token: string,
  extra: Record<string, string> | undefined,
  hasBody: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(extra ?? {})) headers[name.toLowerCase()] = value;
  headers.accept = 'application/json';
  // The client owns authentication; a caller's Authorization header would bypass the token cache.
  headers.authorization = `Bearer ${token}`;
  if (hasBody) headers['content-type'] = 'application/json';
  if (o.legalEntityId !== undefined) headers['x-selected-legal-entity-id'] = o.legalEntityId;
  return headers;
}

/** The whole request: tries (see tryOnce) under the retry table of retry.ts. */
async function requestWithRetries<T>(
  p: Pipeline,
  method: HttpMethod,
  route: ApiRoute,
  opts: RequestOptions,
): Promise<T> {
  if (p.closed) throw new Error('billwerk client is closed');
  const reportPath = redactPath(`${route.path}${queryString(opts.query)}`);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const call: Call = { method, route, opts, reportPath, body, sends: 0 };
  return withRetries(() => tryOnce<T>(p, call), {
    method,
    idempotent: opts.idempotent,
    maxRetries: p.o.maxRetries,
    baseDelayMs: p.o.retryBaseDelayMs,
    maxRetryAfterMs: p.o.maxRetryAfterMs,
    random: p.o.random,
    sleep: p.o.sleep,
    signal: opts.signal,
    onRetry: ({ error, rule, retry, delayMs }) =>
      p.log?.warn(
        { method, path: reportPath, code: error.code, status: error.status, rule, retry, delayMs },
        'retrying billwerk call',
      ),
  });
}

/** One try: a token, a send (replayed once after a 401), then the status mapped and the body parsed. */
async function tryOnce<T>(p: Pipeline, call: Call): Promise<T> {
  const token = await p.tokens.get();
  let res = await send(p, call, token);
  if (res.status === 401) {
    // The token was revoked or expired early. A 401 means nothing was processed, so one replay with a
    // fresh token is safe for every method; concurrent 401s share that single refresh.
    p.tokens.invalidate(token);
    res = await send(p, call, await p.tokens.get());
  }
  // The caller takes a 404 as "no such entity": no error to build.
  if (res.status === 404 && call.opts.nullIfMissing === true) return null as T;
  if (res.status >= 300) {
    throw errorFromResponse({
      method: call.method,
      path: call.reportPath,
      status: res.status,
      headers: res.headers,
      bodyText: res.bodyText,
      endpoint: 'api',
      nowMs: p.o.now(),
    });
  }
  const parsed = parseSuccessBody(res);
  if (!parsed.ok) {
    throw new UpstreamError('billwerk answered with a body that is not JSON', {
      method: call.method,
      path: call.reportPath,
      status: res.status,
    });
  }
  return parsed.value as T;
}

/** One exchange with billwerk, reported whether it was answered or not (status 0: no answer). */
async function send(p: Pipeline, call: Call, token: string): Promise<RawResponse> {
  const { method, opts, reportPath } = call;
  const endpoint = call.route.template;
  const attempt = ++call.sends;
  const startedAt = p.o.now();
  try {
    const res = await sendOnce(p.dispatcher, {
      baseUrl: p.o.baseUrl,
      serverPath: `${API_ROOT}${call.route.path}`,
      query: opts.query,
      reportPath,
      method,
      headers: buildHeaders(p.o, token, opts.headers, call.body !== undefined),
      body: call.body,
      timeoutMs: p.o.timeoutMs,
      signal: opts.signal,
    });
    p.report({
      method,
      path: reportPath,
      endpoint,
      status: res.status,
      durationMs: p.o.now() - startedAt,
      attempt,
    });
    return res;
  } catch (error) {
    if (error instanceof BillwerkError) {
      p.report({ method, path: reportPath, endpoint, status: 0, durationMs: p.o.now() - startedAt, attempt });
    }
    throw error;
  }
}

/** The generic calls resources.ts builds on: a request, and list paging over it (items checked). */
function createCore(p: Pipeline): BillwerkCore {
  const request = <T>(method: HttpMethod, route: ApiRoute, opts: RequestOptions = NO_OPTIONS) =>
    requestWithRetries<T>(p, method, route, opts);
  const pageSource =
    <T extends { Id: string }>(route: ApiRoute, query: Query | undefined): RawPageSource<T> =>
    async ({ take, from }) =>
      asPage<T>(await request<unknown>('GET', route, { query: { ...query, take, from } }), 'GET', route.path);
  return {
    request,
    paginate: <T extends { Id: string }>(route: ApiRoute, query?: Query, opts?: { pageSize?: number }) =>
      walkPages(pageSource<T>(route, query), opts?.pageSize),
    listPage: <T extends { Id: string }>(route: ApiRoute, query: Query | undefined, page: PageRequest) =>
      fetchPageAfter(pageSource<T>(route, query), page),
  };
}

export function createBillwerkClient(options: BillwerkClientOptions): BillwerkClient {
  const o = resolveOptions(options);
  // undici keeps sockets alive by default (4 s idle, or the server's Keep-Alive hint). A longer idle time
  // would raise the odds of a POST meeting a socket billwerk already closed, which we may not replay.
  const ownedAgent = options.dispatcher ? undefined : new Agent({ connections: 32 });
  const dispatcher: Dispatcher = options.dispatcher ?? ownedAgent!;
  const log = options.logger;
  const report = (info: UpstreamCallInfo) => {
    log?.debug(info, 'billwerk call');
    options.onResponse?.(info);
  };
  const pipeline: Pipeline = {
    o,
    dispatcher,
    tokens: createTokens(o, dispatcher, report),
    log,
    report,
    closed: false,
  };
  const core = createCore(pipeline);

  return {
    ...core,
    ...createResources(core),
    async close() {
      if (pipeline.closed) return;
      pipeline.closed = true;
      await ownedAgent?.close();
    },
  };
}
