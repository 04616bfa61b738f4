// The one place environment variables are read: parsed with zod, defaulted, validated and frozen.
// A bad value stops start-up with a message naming the variable (never echoing a secret's value).
import { billwerkIdSchema } from './billwerk/id.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { readRedisConfig, type RedisConfig } from './redis/settings.js';

/**
 * What an end customer holding a token may change on its own contracts: switch plan and add-ons, redeem a
 * coupon, cancel with notice. Not signup (a customer exists already), not usage (metering is the vendor's
 * job), never the admin-only terminations.
 */
export const DEFAULT_CUSTOMER_MUTATIONS = [
  'changePlan',
  'changeComponentSubscriptions',
  'applyCoupon',
  'terminateContract',
] as const;

/** One configured API key: `sha256` is the hex digest of the key; the key itself is never stored. */
const apiKeySchema = z
  .object({
    id: z.string().regex(/^[\w.:-]{1,64}$/, 'expected 1 to 64 letters, digits, . : - or _'),
    role: z.enum(['admin', 'partner', 'readonly']),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits')
      .transform((hex) => hex.toLowerCase()),
    customers: z.array(billwerkIdSchema).optional(),
    externalIdPrefix: z.string().min(1).optional(),
    /** The key may run only the trusted documents (TRUSTED_DOCUMENTS_DIR), e.g. the SDK's operations. */
    trustedDocumentsOnly: z.boolean().optional(),
  })
  .strict();
const apiKeysSchema = z.array(apiKeySchema);
export type ApiKeyEntry = z.infer<typeof apiKeySchema>;

const HOUR_MS = 60 * 60 * 1000;
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** An optional on/off switch: undefined when unset, so the caller picks a context-dependent default. */
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .optional()
  .transform((value) =>
    value === undefined ? undefined : value === 'true' || value === '1' || value === 'yes',
  );

/** Every variable the gateway reads, with its default; the README's configuration table mirrors this. */
const envSchema = z.object({
  PORT: port(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_MODE: z.enum(['development', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('billwerk-graphql-gateway'),
  BILLWERK_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  BILLWERK_CLIENT_ID: z.string().min(1).optional(),
  BILLWERK_CLIENT_SECRET: z.string().min(1).optional(),
  BILLWERK_TIMEOUT_MS: positiveInt(10_000),
  BILLWERK_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  EMULATOR_PORT: port(4001),
  EMULATOR_WEBHOOK_BASE_DELAY_MS: positiveInt(40_000),
  DATA_DIR: z.string().min(1).default('./data'),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  INTROSPECTION: flag,
  FIELD_SUGGESTIONS: flag,
  ERROR_STACK_TRACES: flag,
  WEBHOOK_BASIC_AUTH: z
    .string()
    .regex(/^[^:]+:.+$/, 'expected user:password')
    .optional(),
  WEBHOOK_PATH_TOKEN: z
    .string()
    .regex(/^[\w-]{16,128}$/, 'expected 16 to 128 letters, digits, - or _')
    .optional(),
  WEBHOOK_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  WEBHOOK_EVENTS: z.string().min(1).optional(),
  WEBHOOK_MAX_BODY_BYTES: positiveInt(65_536),
  EVENT_RETENTION_DAYS: z.coerce.number().positive().default(7),
  EVENT_RETENTION_MAX_EVENTS: positiveInt(1_000_000),
  TRUSTED_DOCUMENTS_DIR: z.string().min(1).default('sdk/operations'),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(300_000),
  RECONCILE_GRACE_MS: z.coerce.number().int().min(0).default(120_000),
  GATEWAY_ADMIN_KEY: z.string().min(16, 'expected at least 16 characters').optional(),
  API_KEYS: z.string().min(1).optional(),
  API_KEYS_FILE: z.string().min(1).optional(),
  ALLOW_ANONYMOUS: flag,
  JWT_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_CUSTOMER_CLAIM: z.string().min(1).default('sub'),
  JWT_CUSTOMER_ID_KIND: z.enum(['billwerk', 'external']).default('billwerk'),
  CUSTOMER_MUTATIONS: z.string().default(DEFAULT_CUSTOMER_MUTATIONS.join(',')),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt(100),
  WS_CONNECTION_INIT_TIMEOUT_MS: positiveInt(3_000),
  SSE_RESERVATION_TIMEOUT_MS: positiveInt(30_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  RATE_LIMIT_BURST: z.coerce.number().int().min(0).default(60),
  METRICS_ENABLED: flag,
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.{}-]{1,64}$/, 'expected 1 to 64 letters, digits or : . { } - _')
    .default('bgg:'),
  REDIS_LEASE_MS: z.coerce.number().int().min(200).default(5000),
  REDIS_SENTINELS: z.string().optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'expected 1 to 64 letters, digits or . - _')
    .optional(),
  REDIS_CLUSTER_NODES: z.string().optional(),
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).default(0),
  REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(1000),
  EVENT_DESTINATION_RETRY_BASE_MS: positiveInt(5000),
  EVENT_DESTINATION_RETRY_HOURS: z.coerce.number().positive().default(72),
  EVENT_DESTINATION_DISABLE_AFTER_HOURS: z.coerce.number().positive().default(120),
  EVENT_DESTINATIONS_ALLOW_PRIVATE: flag,
});

/** The names of every variable the gateway reads (the README's configuration table lists exactly these). */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

/** Names of variables whose values must never be echoed back, even in a validation error. */
const SECRET_VARIABLES = new Set([
  'BILLWERK_CLIENT_SECRET',
  'EMULATOR_CLIENT_SECRET',
  'WEBHOOK_BASIC_AUTH',
  'WEBHOOK_PATH_TOKEN',
  'GATEWAY_ADMIN_KEY',
  'JWT_SECRET',
  'API_KEYS',
  'REDIS_URL',
]);

export type BillwerkTarget =
  | { kind: 'remote'; baseUrl: string; clientId: string; clientSecret: string }
  | { kind: 'emulator'; port: number };

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Production turns off introspection (unless INTROSPECTION=true), stack traces and pretty logs. */
  readonly production: boolean;
  /**
   * ERROR_STACK_TRACES: errors in responses carry `extensions.stacktrace` (with local file paths). Off unless
   * asked for, or LOG_LEVEL is debug or trace; refused in production. @default false
   */
  readonly stackTraces: boolean;
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /**
   * LOG_FORMAT: `json` (one object a line) or `pretty` (pino-pretty, for people). Undefined when unset:
   * main.ts then picks pretty for development on a terminal, JSON otherwise.
   */
  readonly logFormat: 'json' | 'pretty' | undefined;
  /** OpenTelemetry traces over OTLP/HTTP; undefined (no tracing at all) unless OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  readonly tracing: Readonly<TracingConfig> | undefined;
  /** Real billwerk when credentials are set, else the embedded emulator. */
  readonly billwerk: Readonly<BillwerkTarget>;
  readonly billwerkTimeoutMs: number;
  readonly billwerkMaxRetries: number;
  readonly emulatorWebhookBaseDelayMs: number;
  readonly dataDir: string;
  readonly shutdownTimeoutMs: number;
  readonly introspection: boolean;
  /** FIELD_SUGGESTIONS: "Did you mean …?" hints in error messages (both transports). @default as introspection */
  readonly fieldSuggestions: boolean;
  readonly webhooks: Readonly<WebhookConfig>;
  /** How long the event log keeps events (and so how far back a cursor can resume). */
  readonly eventRetentionMs: number;
  /**
   * EVENT_RETENTION_MAX_EVENTS: how many published events the log keeps at most, beside the age bound
   * (the oldest published go first; an unpublished event is always kept). @default 1000000
   */
  readonly eventRetentionMaxEvents: number;
  /**
   * RECONCILE_INTERVAL_MS: how often billwerk's contract changes are compared with the event log, to add
   * what no webhook delivered (0 turns it off). @default 300000
   */
  readonly reconcileIntervalMs: number;
  /**
   * TRUSTED_DOCUMENTS_DIR: the folder of `.graphql` operations the gateway trusts (sent by hash, and the
   * only ones `trustedDocumentsOnly` keys may run). @default sdk/operations
   */
  readonly trustedDocumentsDir: string;
  /** RECONCILE_GRACE_MS: how long after a change its webhook is still awaited before reconciling. @default 120000 */
  readonly reconcileGraceMs: number;
  /** GATEWAY_ADMIN_KEY: an admin API key given in clear (for `npm start` and tests); unset = none. */
  readonly adminKey: string | undefined;
  readonly auth: Readonly<AuthConfig>;
  /** graphql-ws has no limit of its own. */
  readonly maxSubscriptionsPerConnection: number;
  /**
   * WS_CONNECTION_INIT_TIMEOUT_MS: a socket that sends no `connection_init` within this time is closed
   * with 4408, so idle unauthenticated sockets cannot pile up. @default 3000 (graphql-ws's own default)
   */
  readonly connectionInitTimeoutMs: number;
  /**
   * SSE_RESERVATION_TIMEOUT_MS: how long an SSE reservation (graphql-sse's single connection mode) waits
   * for its event stream to connect, or to reconnect after it dropped, before it is given up. @default 30000
   */
  readonly sseReservationTimeoutMs: number;
  /** Per-caller token bucket for HTTP operations and graphql-ws subscribe messages (docs/security.md). */
  readonly rateLimit: Readonly<RateLimitConfig>;
  /** METRICS_ENABLED: serve Prometheus metrics at /metrics (unauthenticated). @default true */
  readonly metricsEnabled: boolean;
  /**
   * REDIS_URL: several instances share the event log, webhook dedupe, idempotency keys and rate limits
   * in this Redis (docs/operations.md); unset = the embedded SQLite store, one instance.
   */
  readonly redis: Readonly<RedisConfig> | undefined;
  /** Outbound webhooks to partners' endpoints (docs/event-destinations.md). */
  readonly eventDestinations: Readonly<EventDestinationsConfig>;
}

export interface EventDestinationsConfig {
  /** EVENT_DESTINATION_RETRY_BASE_MS: the first retry's delay; each later one doubles (with jitter). @default 5000 */
  retryBaseMs: number;
  /** EVENT_DESTINATION_RETRY_HOURS in ms: how long a delivery is retried before it is dead. @default 72 h */
  retryWindowMs: number;
  /** EVENT_DESTINATION_DISABLE_AFTER_HOURS in ms: a destination failing this long without a success is disabled. @default 120 h */
  disableAfterMs: number;
  /**
   * EVENT_DESTINATIONS_ALLOW_PRIVATE: destinations may be on loopback and private addresses (tests and
   * development only; refused in production). @default false
   */
  allowPrivate: boolean;
}

export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** OTEL_SERVICE_NAME: the `service.name` resource attribute. @default 'billwerk-graphql-gateway' */
  serviceName: string;
}

export interface RateLimitConfig {
  /** RATE_LIMIT_PER_MINUTE: sustained operations per minute per caller; 0 turns the limit off. @default 600 */
  perMinute: number;
  /** RATE_LIMIT_BURST: operations a caller may send at once on top of the sustained rate. @default 60 */
  burst: number;
}

export interface AuthConfig {
  /** API_KEYS / API_KEYS_FILE: hashed API keys with their role and scope. */
  apiKeys: readonly ApiKeyEntry[];
  /** ALLOW_ANONYMOUS: requests without credentials run as an anonymous caller that sees the catalogue only. @default false */
  allowAnonymous: boolean;
  /** Customer tokens (JWT); undefined when neither JWT_SECRET nor JWT_JWKS_URL is set. */
  jwt?: JwtConfig;
  /** CUSTOMER_MUTATIONS: mutations a customer token may call. @default DEFAULT_CUSTOMER_MUTATIONS */
  customerMutations: readonly string[];
}

export interface JwtConfig {
  /** HS256 shared secret. */
  secret?: string;
  /** RS256/ES256 keys from this JWKS. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** The claim holding the billwerk customer id. @default 'sub' */
  customerClaim: string;
  /**
   * JWT_CUSTOMER_ID_KIND: whether that claim holds billwerk's customer id or the customer's external id
   * (`ExternalCustomerId`, looked up at billwerk and cached). @default 'billwerk'
   */
  customerIdKind: 'billwerk' | 'external';
}

function readApiKeys(e: { API_KEYS?: string; API_KEYS_FILE?: string }, problems: string[]): ApiKeyEntry[] {
  const sources: [string, () => string][] = [];
  if (e.API_KEYS !== undefined) sources.push(['API_KEYS', () => e.API_KEYS!]);
  if (e.API_KEYS_FILE !== undefined) {
    const file = e.API_KEYS_FILE;
    sources.push(['API_KEYS_FILE', () => readFileSync(file, 'utf8')]);
  }
  const keys: ApiKeyEntry[] = [];
  for (const [name, read] of sources) {
    let json: unknown;
    try {
      json = JSON.parse(read());
    } catch (error) {
      problems.push(
        `${name}: ${error instanceof SyntaxError ? 'not valid JSON' : 'cannot be read'} (expected a JSON array of { id, role, sha256, customers?, externalIdPrefix? })`,
      );
      continue;
    }
    const parsed = apiKeysSchema.safeParse(json);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => `${name}[${i.path.join('.')}]: ${i.message}`));
      continue;
    }
    keys.push(...parsed.data);
  }
  const ids = new Set<string>();
  for (const key of keys) {
    if (ids.has(key.id)) problems.push(`API_KEYS: the id ${key.id} is used twice`);
    ids.add(key.id);
    if (key.role !== 'partner' && (key.customers || key.externalIdPrefix)) {
      problems.push(`API_KEYS: ${key.id}: customers and externalIdPrefix are for partner keys only`);
    }
  }
  return keys;
}

export interface WebhookConfig {
  /** HTTP Basic credentials billwerk must send; unset = not checked (then a path token is required). */
  basicAuth?: { user: string; password: string };
  /** Secret path segment: billwerk posts to /webhooks/billwerk/<token>. */
  pathToken?: string;
  /** Public URL of this gateway as billwerk reaches it; when set, the webhook is registered with billwerk at start. */
  publicUrl?: string;
  /** Events to register; default: all. */
  events?: string[];
  maxBodyBytes: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function splitCredentials(value: string): { user: string; password: string } {
  const at = value.indexOf(':');
  return { user: value.slice(0, at), password: value.slice(at + 1) };
}

type Env = Readonly<Record<string, string | undefined>>;

/** `env` parsed by `schema`; throws ConfigError naming each bad variable (never a secret's value). */
function parseEnv<T extends z.ZodType>(schema: T, env: Env): z.infer<T> {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const detail = SECRET_VARIABLES.has(name) ? 'invalid value' : issue.message;
      return `${name}: ${detail}`;
    }),
  );
}

/** The environment as envSchema parsed it. */
type EnvValues = z.infer<typeof envSchema>;

/** Variables that are valid one by one but not together; each problem says how to fix it. */
function checkCombinations(e: EnvValues, problems: string[]): void {
  if (Boolean(e.BILLWERK_CLIENT_ID) !== Boolean(e.BILLWERK_CLIENT_SECRET)) {
    problems.push(
      'BILLWERK_CLIENT_ID and BILLWERK_CLIENT_SECRET: set both to use billwerk, or neither to use the embedded emulator',
    );
  }
  if (e.BILLWERK_BASE_URL && !e.BILLWERK_CLIENT_ID) {
    problems.push('BILLWERK_BASE_URL: needs BILLWERK_CLIENT_ID and BILLWERK_CLIENT_SECRET');
  }
  if (!e.BILLWERK_CLIENT_ID && e.EMULATOR_PORT !== 0 && e.EMULATOR_PORT === e.PORT) {
    problems.push('EMULATOR_PORT: must differ from PORT');
  }
  if (e.EVENT_DESTINATIONS_ALLOW_PRIVATE && e.GATEWAY_MODE === 'production') {
    problems.push('EVENT_DESTINATIONS_ALLOW_PRIVATE: only for tests and development, not in production');
  }
  if (e.ERROR_STACK_TRACES && e.GATEWAY_MODE === 'production') {
    problems.push('ERROR_STACK_TRACES: development only, not in production');
  }
  if (e.JWT_SECRET && e.JWT_JWKS_URL) {
    problems.push('JWT_SECRET and JWT_JWKS_URL: set one of them, not both');
  }
}

/** Real billwerk when credentials are set, else the embedded emulator. */
function billwerkTarget(e: EnvValues): Readonly<BillwerkTarget> {
  const target: BillwerkTarget =
    e.BILLWERK_CLIENT_ID && e.BILLWERK_CLIENT_SECRET
      ? {
          kind: 'remote',
          baseUrl: e.BILLWERK_BASE_URL ?? 'https://sandbox.billwerk.com',
          clientId: e.BILLWERK_CLIENT_ID,
          clientSecret: e.BILLWERK_CLIENT_SECRET,
        }
      : { kind: 'emulator', port: e.EMULATOR_PORT };
  return Object.freeze(target);
}

function tracingConfig(e: EnvValues): Readonly<TracingConfig> | undefined {
  if (!e.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return Object.freeze({
    endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, ''),
    serviceName: e.OTEL_SERVICE_NAME,
  });
}

function webhookConfig(e: EnvValues): Readonly<WebhookConfig> {
  return Object.freeze({
    basicAuth: e.WEBHOOK_BASIC_AUTH ? splitCredentials(e.WEBHOOK_BASIC_AUTH) : undefined,
    pathToken: e.WEBHOOK_PATH_TOKEN,
    publicUrl: e.WEBHOOK_PUBLIC_URL?.replace(/\/+$/, ''),
    events: e.WEBHOOK_EVENTS?.split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
  });
}

function authConfig(e: EnvValues, apiKeys: ApiKeyEntry[]): Readonly<AuthConfig> {
  const customerMutations = e.CUSTOMER_MUTATIONS.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return Object.freeze({
    apiKeys: Object.freeze(apiKeys),
    allowAnonymous: e.ALLOW_ANONYMOUS ?? false,
    jwt:
      e.JWT_SECRET || e.JWT_JWKS_URL
        ? Object.freeze({
            secret: e.JWT_SECRET,
            jwksUrl: e.JWT_JWKS_URL,
            issuer: e.JWT_ISSUER,
            audience: e.JWT_AUDIENCE,
            customerClaim: e.JWT_CUSTOMER_CLAIM,
            customerIdKind: e.JWT_CUSTOMER_ID_KIND,
          })
        : undefined,
    customerMutations: Object.freeze(customerMutations),
  });
}

function eventDestinationsConfig(e: EnvValues): Readonly<EventDestinationsConfig> {
  return Object.freeze({
    retryBaseMs: e.EVENT_DESTINATION_RETRY_BASE_MS,
    retryWindowMs: e.EVENT_DESTINATION_RETRY_HOURS * HOUR_MS,
    disableAfterMs: e.EVENT_DESTINATION_DISABLE_AFTER_HOURS * HOUR_MS,
    allowPrivate: e.EVENT_DESTINATIONS_ALLOW_PRIVATE ?? false,
  });
}

/** Reads and validates the environment once. Throws ConfigError naming each bad variable. */
export function loadConfig(env: Env): Config {
  const e = parseEnv(envSchema, env);
  const problems: string[] = [];
  checkCombinations(e, problems);
  const apiKeys = readApiKeys(e, problems);
  const redis = readRedisConfig(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const production = e.GATEWAY_MODE === 'production';
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    production,
    stackTraces:
      !production && (e.ERROR_STACK_TRACES ?? (e.LOG_LEVEL === 'debug' || e.LOG_LEVEL === 'trace')),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    tracing: tracingConfig(e),
    billwerk: billwerkTarget(e),
    billwerkTimeoutMs: e.BILLWERK_TIMEOUT_MS,
    billwerkMaxRetries: e.BILLWERK_MAX_RETRIES,
    emulatorWebhookBaseDelayMs: e.EMULATOR_WEBHOOK_BASE_DELAY_MS,
    dataDir: e.DATA_DIR,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    introspection: e.INTROSPECTION ?? !production,
    fieldSuggestions: e.FIELD_SUGGESTIONS ?? e.INTROSPECTION ?? !production,
    webhooks: webhookConfig(e),
    eventRetentionMs: e.EVENT_RETENTION_DAYS * 24 * 60 * 60 * 1000,
    eventRetentionMaxEvents: e.EVENT_RETENTION_MAX_EVENTS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    trustedDocumentsDir: e.TRUSTED_DOCUMENTS_DIR,
    reconcileGraceMs: e.RECONCILE_GRACE_MS,
    adminKey: e.GATEWAY_ADMIN_KEY,
    auth: authConfig(e, apiKeys),
    maxSubscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    connectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
    sseReservationTimeoutMs: e.SSE_RESERVATION_TIMEOUT_MS,
    rateLimit: Object.freeze({ perMinute: e.RATE_LIMIT_PER_MINUTE, burst: e.RATE_LIMIT_BURST }),
    metricsEnabled: e.METRICS_ENABLED ?? true,
    redis,
    eventDestinations: eventDestinationsConfig(e),
  });
}

/** The variables `npm run emulator` reads (docs/emulator.md), apart from the gateway's. */
const emulatorEnvSchema = z.object({
  EMULATOR_PORT: port(4001),
  EMULATOR_CLIENT_ID: z.string().min(1).optional(),
  EMULATOR_CLIENT_SECRET: z.string().min(1).optional(),
});

export interface EmulatorConfig {
  /** EMULATOR_PORT: port on 127.0.0.1. @default 4001 */
  port: number;
  /** EMULATOR_CLIENT_ID and EMULATOR_CLIENT_SECRET (both or neither). @default the emulator's own */
  credentials: Readonly<{ clientId: string; clientSecret: string }> | undefined;
}

/** Reads and validates the standalone emulator's environment once. Throws ConfigError naming each bad variable. */
export function loadEmulatorConfig(env: Env = process.env): EmulatorConfig {
  const e = parseEnv(emulatorEnvSchema, env);
  if (Boolean(e.EMULATOR_CLIENT_ID) !== Boolean(e.EMULATOR_CLIENT_SECRET)) {
    throw new ConfigError(['EMULATOR_CLIENT_ID and EMULATOR_CLIENT_SECRET: set both, or neither']);
  }
  return Object.freeze({
    port: e.EMULATOR_PORT,
    credentials:
      e.EMULATOR_CLIENT_ID && e.EMULATOR_CLIENT_SECRET
        ? Object.freeze({ clientId: e.EMULATOR_CLIENT_ID, clientSecret: e.EMULATOR_CLIENT_SECRET })
        : undefined,
  });
}
