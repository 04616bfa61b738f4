// Checkpoints of the embedded database's WAL, run from a thread of their own. By default SQLite checkpoints
// inside the commit that fills the WAL past 1,000 pages: that commit then copies the pages into the
// database and flushes the database file, on the event loop. Under a steady 100 webhooks a second that is
// one commit every few seconds holding the loop for the copy and a flush, which on a busy disk took 30–90 ms
// (a pruning step or an acknowledgement that happens to be that commit shows it). Here another connection,
// in a worker thread, runs PASSIVE checkpoints a few times a second: they never wait for or block the
// writer, and the flush they wait on is the worker's. The connection's own automatic checkpoint stays on, at
// a far larger size, as the backstop should this thread fall behind or stop.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { type SqliteDatabase } from './database.js';

export interface CheckpointResult {
  /** Frames in the WAL. */
  log: number;
  /** Frames of it now copied into the database. */
  checkpointed: number;
}

export interface Checkpointer {
  /** Runs one checkpoint now and answers with what it did (tests, and close). */
  checkpoint(): Promise<CheckpointResult>;
  /** Stops the thread and closes its connection. */
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** Between two checkpoints. @default 250 */
  intervalMs?: number;
  /** The writer's own automatic checkpoint, in pages, kept as a backstop. @default 10000 (about 40 MB) */
  backstopPages?: number;
}

/**
 * The worker's code, as a CommonJS script: it needs only better-sqlite3 (resolved here, as a script given
 * as text resolves from the working directory), and it runs the same from the TypeScript sources (tests)
 * and from dist/ (npm start).
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const run = () => {
  const [row] = db.pragma('wal_checkpoint(PASSIVE)');
  return { log: row.log, checkpointed: row.checkpointed };
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.kind === 'close') {
    clearInterval(timer);
    db.close();
    parentPort.postMessage({ kind: 'closed' });
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ kind: 'done', id: message.id, result: run() });
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', id: message.id, message: String(error && error.message) });
  }
});
`;

interface Reply {
  kind: 'done' | 'failed' | 'closed';
  id?: number;
  result?: CheckpointResult;
  message?: string;
}

/** Starts checkpointing `db` (a file in WAL mode) from a worker thread; `:memory:` needs none. */
export function startCheckpointer(db: SqliteDatabase, options: CheckpointerOptions = {}): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${options.backstopPages ?? 10_000}`);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      file: db.name,
      intervalMs: options.intervalMs ?? 250,
      sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
    },
  });
  // A thread that only checkpoints must not keep the process alive.
  worker.unref();
  const waiting = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let closed: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const failAll = (error: Error) => {
    for (const waiter of waiting.values()) waiter.reject(error);
    waiting.clear();
  };
  worker.on('message', (reply: Reply) => {
    const waiter = reply.id === undefined ? undefined : waiting.get(reply.id);
    if (!waiter) return;
    waiting.delete(reply.id!);
    if (reply.kind === 'done') waiter.resolve(reply.result!);
    else waiter.reject(new Error(`checkpoint failed: ${reply.message ?? 'unknown error'}`));
  });
  // Without the thread the writer's backstop checkpoints; nothing else depends on it.
  worker.on('error', (error) => failAll(error));
  void exited.then(() => failAll(new Error('the checkpoint thread has stopped')));

  return {
    checkpoint() {
      if (closed) return Promise.reject(new Error('the checkpointer is closed'));
      const id = nextId++;
      return new Promise<CheckpointResult>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ kind: 'checkpoint', id });
      });
    },
    close() {
      closed ??= (async () => {
        worker.postMessage({ kind: 'close' });
        await exited;
      })();
      return closed;
    },
  };
}
