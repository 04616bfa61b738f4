// The gateway's log as a test reads it: the messages logged so far, and the next line with a given message
// as a promise. The log is how an operator learns that something happened (Redis is back, a store is
// reachable again), so a test waits on the same line instead of asking the gateway again and again.
import { type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createLogger, type Logger } from '../../src/logger.js';

/** One line of pino's JSON output. */
interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface LogWatch {
  /** The message of each line logged so far, in order. */
  messages(): string[];
  /**
   * Resolves with the first line logged after this call whose message is `msg`. Rejects, naming the
   * message, when none comes within `timeoutMs` or the log ends first.
   * @default timeoutMs 10000
   */
  next(msg: string, timeoutMs?: number): Promise<LogLine>;
}

interface Waiter {
  msg: string;
  resolve(line: LogLine): void;
  reject(error: Error): void;
}

/** A watch fed with the log's text as it is written (whole lines or pieces of them). */
function logWatch(): LogWatch & { write(text: string): void; end(): void } {
  const lines: LogLine[] = [];
  let waiters: Waiter[] = [];
  let partial = '';
  let ended = false;
  const parse = (text: string): LogLine | undefined => {
    try {
      const line = JSON.parse(text) as unknown;
      return typeof line === 'object' && line !== null && 'msg' in line ? (line as LogLine) : undefined;
    } catch {
      // Not one of the logger's lines (a process's banner, for instance).
      return undefined;
    }
  };
  return {
    write(text) {
      const pieces = (partial + text).split('\n');
      partial = pieces.pop()!;
      for (const piece of pieces) {
        const line = parse(piece);
        if (!line) continue;
        lines.push(line);
        const met = waiters.filter((waiter) => waiter.msg === line.msg);
        waiters = waiters.filter((waiter) => waiter.msg !== line.msg);
        for (const waiter of met) waiter.resolve(line);
      }
    },
    end() {
      ended = true;
      for (const waiter of waiters) waiter.reject(new Error(`the log ended without "${waiter.msg}"`));
      waiters = [];
    },
    messages: () => lines.map((line) => line.msg),
    next(msg, timeoutMs = 10_000) {
      const line = new Promise<LogLine>((resolve, reject) => {
        if (ended) {
          reject(new Error(`the log ended without "${msg}"`));
          return;
        }
        const waiter: Waiter = {
          msg,
          resolve(found) {
            clearTimeout(timer);
            resolve(found);
          },
          reject(error) {
            clearTimeout(timer);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((other) => other !== waiter);
          reject(new Error(`nothing logged "${msg}" within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
      // A wait the test stopped awaiting (an assertion before it failed) must not fail later as an
      // unhandled rejection; whoever awaits it still gets the rejection.
      line.catch(() => undefined);
      return line;
    },
  };
}

/** A JSON logger at `level` whose lines the test reads and waits on. */
export function captureLog(level = 'info'): LogWatch & { logger: Logger } {
  const watch = logWatch();
  const logger = createLogger({ level, destination: { write: (text: string) => watch.write(text) } });
  return { logger, messages: watch.messages, next: watch.next };
}

/** Reads the JSON log a process writes to `stream` (its stdout). */
export function watchLog(stream: Readable): LogWatch {
  const watch = logWatch();
  // A character split between two chunks is decoded once both have come.
  const decoder = new StringDecoder('utf8');
  stream.on('data', (chunk: Buffer) => watch.write(decoder.write(chunk)));
  stream.once('close', () => watch.end());
  return { messages: watch.messages, next: watch.next };
}
