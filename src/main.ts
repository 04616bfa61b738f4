// `npm start`: reads the configuration, starts the embedded billwerk emulator when no billwerk
// credentials are set, then the gateway; stops both cleanly on SIGINT/SIGTERM.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { type BillwerkClient, createBillwerkClient } from './billwerk/client.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createEmulator, type Emulator } from './emulator/emulator.js';
import { chooseLogFormat, createLogger, type Logger } from './logger.js';
import { createGateway, type Gateway } from './server/gateway.js';
import { createMetrics } from './server/metrics.js';
import { attributeToRequest } from './server/request-scope.js';
import { createTracing, type Tracing } from './telemetry.js';
import { type WebhookCredentials } from './webhooks/auth.js';
import { ensureWebhookRegistered } from './webhooks/registration.js';
import { WEBHOOK_PATH } from './webhooks/route.js';

/** What `main` started, stopped in this order on a signal. */
interface Running {
  readonly logger: Logger;
  readonly gateway: Gateway;
  readonly billwerk: BillwerkClient;
  readonly emulator: Emulator | undefined;
  readonly tracing: Tracing | undefined;
}

async function main(config: Config): Promise<void> {
  const logger = createLogger({
    level: config.logLevel,
    format: chooseLogFormat(config.logFormat, config.production, process.stdout.isTTY),
  });
  const tracing = config.tracing ? createTracing(config.tracing) : undefined;
  const { emulator, billwerkTarget } = await chooseBillwerk(config, logger);

  // Created before the client so billwerk calls are counted in the gateway's registry.
  const metrics = createMetrics({ defaultMetrics: config.metricsEnabled });
  const billwerk = createBillwerkClient({
    ...billwerkTarget,
    onResponse: attributeToRequest(metrics.upstreamCall),
    timeoutMs: config.billwerkTimeoutMs,
    maxRetries: config.billwerkMaxRetries,
    logger: logger.child({ component: 'billwerk' }),
  });
  const webhookCredentials = webhookCredentialsFor(config, emulator);
  const generatedAdminKey = generatedAdminKeyFor(config, emulator);
  const gateway = await createGateway({
    config: generatedAdminKey ? { ...config, adminKey: generatedAdminKey } : config,
    billwerk,
    logger,
    metrics,
    tracer: tracing?.tracer,
    dashboard: { emulator: emulator !== undefined },
    webhookCredentials,
    // Dates in mutation inputs are checked against billwerk's time: the emulator's clock can be advanced.
    now: emulator ? () => emulator.clock.now().getTime() : undefined,
  });

  // Signals are handled from the moment the gateway exists: a stop asked for while it announces itself
  // (or registers its webhook) is a clean stop too.
  stopOnSignals({ logger, gateway, billwerk, emulator, tracing }, config.shutdownTimeoutMs);
  await registerWebhook(config, { logger, gateway, billwerk, emulator }, webhookCredentials);
  announce(config, gateway, emulator, generatedAdminKey);
}

/** The billwerk the gateway calls: the one configured, or else the embedded emulator, started here. */
async function chooseBillwerk(
  config: Config,
  logger: Logger,
): Promise<{
  emulator: Emulator | undefined;
  billwerkTarget: { baseUrl: string; clientId: string; clientSecret: string };
}> {
  if (config.billwerk.kind !== 'emulator') return { emulator: undefined, billwerkTarget: config.billwerk };
  const emulator = await createEmulator({
    port: config.billwerk.port,
    host: config.host,
    logger: logger.child({ component: 'emulator' }),
    webhooks: { baseDelayMs: config.emulatorWebhookBaseDelayMs },
  });
  return { emulator, billwerkTarget: { baseUrl: emulator.url, ...emulator.credentials } };
}

// With the emulator and no webhook credentials configured, invent them: the gateway registers itself
// with the emulator (registerWebhook), so `npm start` shows live events with nothing to set up.
function webhookCredentialsFor(config: Config, emulator: Emulator | undefined): WebhookCredentials {
  const configured = config.webhooks.basicAuth !== undefined || config.webhooks.pathToken !== undefined;
  return emulator && !configured
    ? { basicAuth: { user: 'billwerk', password: randomBytes(18).toString('base64url') } }
    : config.webhooks;
}

// With the emulator and no key of any kind configured, invent an admin key and print it, so trying the
// gateway stays two commands; it lives only as long as this process.
function generatedAdminKeyFor(config: Config, emulator: Emulator | undefined): string | undefined {
  return emulator && config.adminKey === undefined && config.auth.apiKeys.length === 0 && !config.auth.jwt
    ? randomBytes(24).toString('base64url')
    : undefined;
}

/** SIGINT and SIGTERM stop what `main` started, within `shutdownTimeoutMs`. */
function stopOnSignals(running: Running, shutdownTimeoutMs: number): void {
  const { logger, gateway, billwerk, emulator, tracing } = running;
  let stopping = false;
  const stop = (signal: string) => {
    // A repeated SIGTERM (process managers and npm may send more than one) must not cut the shutdown
    // short; a second Ctrl-C is a person insisting, so it exits at once.
    if (stopping) {
      if (signal === 'SIGINT') process.exit(130);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, shutdownTimeoutMs);
    deadline.unref();
    void (async () => {
      await gateway.close();
      await billwerk.close();
      await emulator?.close();
      await tracing?.shutdown();
      logger.info('stopped');
      process.stdout.write('billwerk-graphql-gateway stopped\n');
      process.exitCode = 0;
      // Everything is closed; the process ends when nothing holds it. What may still do so is ioredis'
      // connections to Sentinels, which leave a 2 s timer behind for each socket that had already closed
      // (Sentinels unreachable): it guards nothing now, and is not waited for.
      setTimeout(() => process.exit(0), 200).unref();
    })().catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Registers the gateway's webhook with billwerk, when it has a public URL (the emulator's is its own). */
async function registerWebhook(
  config: Config,
  { logger, gateway, billwerk, emulator }: Omit<Running, 'tracing'>,
  webhookCredentials: WebhookCredentials,
): Promise<void> {
  const tokenPath = webhookCredentials.pathToken === undefined ? '' : `/${webhookCredentials.pathToken}`;
  const publicUrl = emulator ? gateway.url : config.webhooks.publicUrl;
  if (!publicUrl) return;
  const basic = webhookCredentials.basicAuth;
  await ensureWebhookRegistered(
    billwerk,
    {
      url: `${publicUrl}${WEBHOOK_PATH}${tokenPath}`,
      events: config.webhooks.events ?? [],
      // Only the emulator takes outgoing credentials over the API; billwerk sets them in its admin UI.
      auth: emulator && basic ? { Type: 'Basic', User: basic.user, Password: basic.password } : undefined,
    },
    logger.child({ component: 'webhooks' }),
  );
}

/** Where everything is, printed once the gateway runs. */
function announce(
  config: Config,
  gateway: Gateway,
  emulator: Emulator | undefined,
  generatedAdminKey: string | undefined,
): void {
  const lines = [
    // The key rides in the fragment, which the browser keeps to itself: it reaches no request or log.
    `Dashboard ${gateway.url}/${generatedAdminKey ? `#key=${generatedAdminKey}` : ''}`,
    `GraphQL   ${gateway.url}/graphql  (subscriptions: ws://${gateway.url.slice('http://'.length)}/graphql)`,
    `Health    ${gateway.url}/healthz  (readiness: /readyz${config.metricsEnabled ? ', metrics: /metrics' : ''})`,
    `Webhooks  ${gateway.url}${WEBHOOK_PATH}`,
  ];
  lines.push(
    generatedAdminKey
      ? `Admin key ${generatedAdminKey}  (generated; send Authorization: Bearer <key>)`
      : `Auth      ${config.adminKey ? 'admin key from GATEWAY_ADMIN_KEY; ' : ''}${config.auth.apiKeys.length} API key(s)${config.auth.jwt ? ', customer tokens (JWT)' : ''}`,
  );
  lines.push(
    emulator
      ? `billwerk  embedded emulator at ${emulator.apiUrl} (client id ${emulator.credentials.clientId})`
      : `billwerk  ${config.billwerk.kind === 'remote' ? config.billwerk.baseUrl : ''}`,
  );
  process.stdout.write(`billwerk-graphql-gateway is running\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
}

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
main(config).catch((error: unknown) => {
  process.stderr.write(
    `billwerk-graphql-gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
