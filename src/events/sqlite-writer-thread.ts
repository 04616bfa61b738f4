// The main thread's side of the SQLite event log's writer thread (sqlite-event-writer.ts): the writes of
// one turn of the event loop go over as one message, and each comes back settled once its group's commit is
// on disk. A writer that dies fails the writes it had not answered and is started again for the next one.
import { Worker } from 'node:worker_threads';
import { type Logger } from '../logger.js';
import type { Answer, Answers, Request, Write } from './sqlite-event-writer.js';

export interface WriterThread {
  /** Resolves with the writer's answer once the write is committed; rejects when it failed or the writer died. */
  write<W extends Write>(write: W): Promise<Answers[W['op']]>;
  /** Commits what is queued, closes the writer's connection and ends the thread. */
  close(): Promise<void>;
}

export interface WriterThreadOptions {
  /** The database file the writer opens (the reading connection's). */
  file: string;
  logger: Logger;
  /** Called once a writer has died, before the next one starts. */
  onDied: () => void;
  /** The module the thread runs. @default writerModule() */
  module?: URL;
}

/**
 * The compiled writer module. The gateway runs from dist/, where it sits beside this file (the type import
 * above brings it into every build that compiles this file). Under jest this file is the TypeScript
 * source, which a Worker cannot run, so the writer is taken from dist/, which jest's global setup
 * (test/global-setup.js) rebuilds whenever the sources are newer.
 */
function writerModule(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../dist/events/sqlite-event-writer.js', import.meta.url)
    : new URL('./sqlite-event-writer.js', import.meta.url);
}

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export function startWriterThread({ file, logger, onDied, module }: WriterThreadOptions): WriterThread {
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let outgoing: Request[] = [];
  let closing = false;

  function start(): Worker {
    const started = new Worker(module ?? writerModule(), { workerData: { file } });
    // Only writes waiting for their answer keep the process alive (ref'd in post, unref'd here).
    started.unref();
    let failure: Error | undefined;
    started.on('message', (answers: Answer[]) => {
      for (const answer of answers) {
        const entry = waiting.get(answer.id);
        waiting.delete(answer.id);
        if ('error' in answer) entry?.reject(new Error(answer.error));
        else entry?.resolve(answer.value);
      }
      if (waiting.size === 0) started.unref();
    });
    started.on('error', (error) => (failure = error));
    started.on('exit', (code) => {
      if (worker === started) worker = undefined;
      if (closing && waiting.size === 0) return;
      // What it had not answered may or may not be committed; the caller fails it (a webhook is answered
      // 5xx, so billwerk sends it again and dedupe finds it if it was).
      const error = new Error(`the event log's writer thread stopped (exit code ${code}) before answering`);
      for (const entry of waiting.values()) entry.reject(error);
      const unanswered = waiting.size;
      waiting.clear();
      logger.error(
        { exitCode: code, unanswered, reason: failure?.message },
        "the event log's writer thread died; its unanswered writes failed, the next write starts another",
      );
      onDied();
    });
    return started;
  }
  let worker: Worker | undefined = start();

  function post(): void {
    const batch = outgoing;
    outgoing = [];
    worker ??= start();
    worker.ref();
    worker.postMessage(batch);
  }

  function write<W extends Write>(request: W): Promise<Answers[W['op']]> {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      // Sent once the I/O callbacks of this turn have asked for theirs (the writer groups them the same way).
      if (outgoing.push({ ...request, id }) === 1) setImmediate(post);
    });
  }

  return {
    write,
    async close() {
      closing = true;
      try {
        await write({ op: 'close' });
      } finally {
        await worker?.terminate();
      }
    },
  };
}
