// The process logger: structured JSON (pino) with secrets redacted by path, so no call site has to remember.
// Child loggers carry a `component` field (gateway, emulator, billwerk).
import { pino, type Logger } from 'pino';

/** Paths pino censors wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'clientSecret',
  'client_secret',
  'access_token',
  'token',
  'password',
  '*.clientSecret',
  '*.password',
  '*.token',
];

export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    name: options.name ?? 'billwerk-graphql-gateway',
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}

export type { Logger };
