// The one place environment variables are read: parsed with zod, defaulted, validated and frozen.
// A bad value stops start-up with a message naming the variable (never echoing a secret's value).
import { z } from 'zod';

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
  GATEWAY_ADMIN_KEY: z.string().min(16, 'expected at least 16 characters').optional(),
});

/** Names of variables whose values must never be echoed back, even in a validation error. */
const SECRET_VARIABLES = new Set([
  'BILLWERK_CLIENT_SECRET',
  'WEBHOOK_BASIC_AUTH',
  'WEBHOOK_PATH_TOKEN',
  'GATEWAY_ADMIN_KEY',
]);

export type BillwerkTarget =
  | { kind: 'remote'; baseUrl: string; clientId: string; clientSecret: string }
  | { kind: 'emulator'; port: number };

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Production turns off introspection (unless INTROSPECTION=true), stack traces and pretty logs. */
  readonly production: boolean;
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** Real billwerk when credentials are set, else the embedded emulator. */
  readonly billwerk: Readonly<BillwerkTarget>;
  readonly billwerkTimeoutMs: number;
  readonly billwerkMaxRetries: number;
  readonly emulatorWebhookBaseDelayMs: number;
  readonly dataDir: string;
  readonly shutdownTimeoutMs: number;
  readonly introspection: boolean;
  readonly webhooks: Readonly<WebhookConfig>;
  /** How long the event log keeps events (and so how far back a cursor can resume). */
  readonly eventRetentionMs: number;
  /** A request with `Authorization: Bearer <adminKey>` runs as admin (until real auth lands); unset = nobody. */
  readonly adminKey: string | undefined;
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

/** Reads and validates the environment once. Throws ConfigError naming each bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const detail = SECRET_VARIABLES.has(name) ? 'invalid value' : issue.message;
        return `${name}: ${detail}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
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
  if (problems.length > 0) throw new ConfigError(problems);

  const production = e.GATEWAY_MODE === 'production';
  const billwerk: BillwerkTarget =
    e.BILLWERK_CLIENT_ID && e.BILLWERK_CLIENT_SECRET
      ? {
          kind: 'remote',
          baseUrl: e.BILLWERK_BASE_URL ?? 'https://sandbox.billwerk.com',
          clientId: e.BILLWERK_CLIENT_ID,
          clientSecret: e.BILLWERK_CLIENT_SECRET,
        }
      : { kind: 'emulator', port: e.EMULATOR_PORT };
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    production,
    logLevel: e.LOG_LEVEL,
    billwerk: Object.freeze(billwerk),
    billwerkTimeoutMs: e.BILLWERK_TIMEOUT_MS,
    billwerkMaxRetries: e.BILLWERK_MAX_RETRIES,
    emulatorWebhookBaseDelayMs: e.EMULATOR_WEBHOOK_BASE_DELAY_MS,
    dataDir: e.DATA_DIR,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    introspection: e.INTROSPECTION ?? !production,
    webhooks: Object.freeze({
      basicAuth: e.WEBHOOK_BASIC_AUTH ? splitCredentials(e.WEBHOOK_BASIC_AUTH) : undefined,
      pathToken: e.WEBHOOK_PATH_TOKEN,
      publicUrl: e.WEBHOOK_PUBLIC_URL?.replace(/\/+$/, ''),
      events: e.WEBHOOK_EVENTS?.split(',')
        .map((name) => name.trim())
        .filter(Boolean),
      maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    }),
    eventRetentionMs: e.EVENT_RETENTION_DAYS * 24 * 60 * 60 * 1000,
    adminKey: e.GATEWAY_ADMIN_KEY,
  });
}
