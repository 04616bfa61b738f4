// `npm run emulator`: the billwerk emulator on its own. Reads EMULATOR_PORT (default 4001) and
// EMULATOR_CLIENT_ID / EMULATOR_CLIENT_SECRET, the only environment the emulator reads; stops on SIGINT/SIGTERM.
import pino from 'pino';
import { createEmulator } from './emulator.js';

const env = process.env;
const port = Number(env.EMULATOR_PORT ?? 4001);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`EMULATOR_PORT must be a port number, got '${env.EMULATOR_PORT ?? ''}'\n`);
  process.exit(2);
}
const credentials =
  env.EMULATOR_CLIENT_ID && env.EMULATOR_CLIENT_SECRET
    ? { clientId: env.EMULATOR_CLIENT_ID, clientSecret: env.EMULATOR_CLIENT_SECRET }
    : undefined;

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
