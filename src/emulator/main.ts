// `npm run emulator`: the billwerk emulator on its own, configured by EMULATOR_PORT (default 4001) and
// EMULATOR_CLIENT_ID / EMULATOR_CLIENT_SECRET (read by config.ts); stops on SIGINT/SIGTERM.
import pino from 'pino';
import { ConfigError, loadEmulatorConfig } from '../config.js';
import { createEmulator } from './emulator.js';

let config;
try {
  config = loadEmulatorConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
const { port, credentials } = config;

const emulator = await createEmulator({
  port,
  ...(credentials ? { credentials } : {}),
  logger: pino({ level: 'info' }),
});
process.stdout.write(
  [
    'billwerk emulator is running',
    `  REST API      ${emulator.apiUrl}`,
    `  OAuth token   ${emulator.url}/oauth/token`,
    `  client id     ${emulator.credentials.clientId}`,
    `  client secret ${emulator.credentials.clientSecret}`,
    `  admin         ${emulator.url}/emulator/clock (see docs/emulator.md)`,
    '',
  ].join('\n'),
);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`emulator failed to stop: ${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
