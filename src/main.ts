// `npm start`: reads the configuration, starts the embedded billwerk emulator when no billwerk
// credentials are set, then the gateway; stops both cleanly on SIGINT/SIGTERM.
import 'reflect-metadata';
import { createBillwerkClient } from './billwerk/client.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createEmulator, type Emulator } from './emulator/emulator.js';
import { createLogger } from './logger.js';
import { createGateway } from './server/gateway.js';

async function main(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  let emulator: Emulator | undefined;
  let billwerkTarget: { baseUrl: string; clientId: string; clientSecret: string };
  if (config.billwerk.kind === 'emulator') {
    emulator = await createEmulator({
      port: config.billwerk.port,
      host: config.host,
      logger: logger.child({ component: 'emulator' }),
      webhooks: { baseDelayMs: config.emulatorWebhookBaseDelayMs },
    });
    billwerkTarget = { baseUrl: emulator.url, ...emulator.credentials };
  } else {
    billwerkTarget = config.billwerk;
  }

  const billwerk = createBillwerkClient({
    ...billwerkTarget,
    timeoutMs: config.billwerkTimeoutMs,
    maxRetries: config.billwerkMaxRetries,
    logger: logger.child({ component: 'billwerk' }),
  });
  const gateway = await createGateway({ config, billwerk, logger });

  const lines = [`GraphQL   ${gateway.url}/graphql`, `Health    ${gateway.url}/healthz`];
  lines.push(
    emulator
      ? `billwerk  embedded emulator at ${emulator.apiUrl} (client id ${emulator.credentials.clientId})`
      : `billwerk  ${config.billwerk.kind === 'remote' ? config.billwerk.baseUrl : ''}`,
  );
  process.stdout.write(`billwerk-graphql-gateway is running\n${lines.map((l) => `  ${l}`).join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    void (async () => {
      await gateway.close();
      await billwerk.close();
      await emulator?.close();
      logger.info('stopped');
      process.exitCode = 0;
    })().catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
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
