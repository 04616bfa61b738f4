// The process logger: structured JSON (pino) with secrets redacted by path, so no call site has to remember,
// or pino-pretty's coloured lines for a person at a terminal. Child loggers carry a `component` field
// (gateway, emulator, billwerk, http).
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

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

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level: string;
  name?: string;
  /**
   * `json`: one object per line (for log shippers); `pretty`: pino-pretty, formatted in this thread
   * (synchronously, so a crash never loses the last lines to a worker). @default 'json'
   */
  format?: LogFormat;
  /** Where lines go (tests capture them here). @default stdout */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    name: options.name ?? 'billwerk-graphql-gateway',
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (options.format === 'pretty') {
    return pino(
      settings,
      pretty({
        destination: options.destination ?? 1,
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,name',
      }),
    );
  }
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/**
 * LOG_FORMAT when set; otherwise pretty only where a person reads the lines: development mode with stdout
 * on a terminal. Piped or redirected output (a container, a log shipper, `| jq`) stays JSON.
 */
export function chooseLogFormat(
  configured: LogFormat | undefined,
  production: boolean,
  isTTY: boolean,
): LogFormat {
  return configured ?? (!production && isTTY ? 'pretty' : 'json');
}

export type { Logger };
