// The SQLite event log's writer thread: every write of the log runs here, on a connection of its own to the
// same file, group-committed, so neither the statements nor the synced commit hold the gateway's event loop.
// sqlite-writer-thread.ts starts it; the messages both sides exchange are declared here.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { openDatabase, type SqliteDatabase } from '../store/database.js';
import { createGroupCommit } from '../store/group-commit.js';
import type { AppendResult, DeliveryState, EventSource } from './event-log.js';
import { SELECT_EVENT } from './sqlite-event-schema.js';
import { packJson } from './stored-codec.js';
import { unreachable } from './unreachable.js';

// The messages: flat, and as small as the write allows, since both threads share the gateway's core and
// a structured clone costs per message and per object in it. Dates travel as epoch milliseconds, notices
// and enrichments as JSON text (stored-codec.ts packJson says why).

export interface AppendWrite {
  op: 'append';
  dedupeKey: string;
  mayRepeat: boolean;
  event: string;
  contractId: string | null;
  source: EventSource;
  receivedAt: number;
  /**
   * The JSON text of `{ payload }`, the notice's payload (the parsed fields are derived from it again on
   * reading), packed here.
   */
  notice: string;
}
export interface PublishWrite {
  op: 'publish';
  seq: number;
  state: DeliveryState;
  at: number;
  /** The enrichment's JSON text, packed here, off the event loop. */
  enrichment: string | null;
  /** The main thread does not have the notice in memory: send the event's row back. */
  withRow: boolean;
}
export interface FailureWrite {
  op: 'failure';
  seq: number;
  error: string;
}
export interface PruneWrite {
  op: 'prune';
  before: number;
  maxEvents: number;
  limit: number;
}
export interface MetaWrite {
  op: 'setMeta';
  key: string;
  value: string;
}
/** Commits what is queued, closes the connection, then answers. */
export interface CloseWrite {
  op: 'close';
}
export type Write = AppendWrite | PublishWrite | FailureWrite | PruneWrite | MetaWrite | CloseWrite;

/**
 * What a publication wrote. `row` (the event's row before this publication, unparsed) comes only when it
 * was asked for; an event published before comes back as its row as stored, so the main thread decodes it.
 */
export type Publication =
  | {
      fresh: true;
      publishedSeq: number;
      wasPending: boolean;
      attempts: number;
      lastError: string | null;
      row?: unknown;
    }
  | { fresh: false; row: unknown };

/** What a step of pruning removed, and how long it held this thread, in milliseconds. */
export interface Pruned {
  removed: number;
  ms: number;
}

export interface Answers {
  append: AppendResult;
  publish: Publication;
  failure: undefined;
  prune: Pruned;
  setMeta: undefined;
  close: undefined;
}

/** The main thread sends the writes of one turn of its event loop as one message. */
export type Request = Write & { id: number };
/** This thread answers the writes of one commit as one message. */
export type Answer = { id: number; value: unknown } | { id: number; error: string };

/**
 * Appending, to run inside a group's transaction: a retry of a notice appended earlier in the same group
 * is found like any other (the group's rows are visible to its own statements), so dedupe stays exact.
 */
function prepareAppend(db: SqliteDatabase): (write: AppendWrite) => AppendResult {
  const findDuplicate = db.prepare<[string], { seq: number }>(
    'SELECT seq FROM events WHERE dedupe_key = ? ORDER BY seq DESC LIMIT 1',
  );
  const insert = db.prepare(
    `INSERT INTO events (dedupe_key, may_repeat, event, contract_id, source, received_at, notice)
     VALUES (@dedupeKey, @mayRepeat, @event, @contractId, @source, @receivedAt, @notice)`,
  );
  const insertPending = db.prepare<[number]>('INSERT INTO event_pending (seq) VALUES (?)');
  return (write) => {
    if (!write.mayRepeat) {
      const earlier = findDuplicate.get(write.dedupeKey);
      if (earlier) return { stored: false, duplicateOf: earlier.seq };
    }
    const info = insert.run({
      dedupeKey: write.dedupeKey,
      mayRepeat: write.mayRepeat ? 1 : 0,
      event: write.event,
      contractId: write.contractId,
      notice: packJson(write.notice),
      receivedAt: write.receivedAt,
      source: write.source,
    });
    const seq = Number(info.lastInsertRowid);
    insertPending.run(seq);
    return { stored: true, seq };
  };
}

/** Publishing, inside a group's transaction; it says whether it took the event out of event_pending. */
function preparePublish(db: SqliteDatabase): (write: PublishWrite) => Publication {
  const bySeq = db.prepare<[number], unknown>(`${SELECT_EVENT} WHERE e.seq = ?`);
  const publishedSeqOf = db.prepare<[number], { published_seq: number | null }>(
    'SELECT p.published_seq FROM events e LEFT JOIN event_published p ON p.seq = e.seq WHERE e.seq = ?',
  );
  const nextPublished = db.prepare<[], { next: number }>(
    "UPDATE event_counters SET value = value + 1 WHERE name = 'published' RETURNING value AS next",
  );
  const takePending = db.prepare<[number], { attempts: number; last_error: string | null }>(
    'DELETE FROM event_pending WHERE seq = ? RETURNING attempts, last_error',
  );
  const insertPublished = db.prepare(
    `INSERT INTO event_published (published_seq, seq, state, published_at, attempts, last_error, enrichment)
     VALUES (@publishedSeq, @seq, @state, @at, @attempts, @lastError, @enrichment)`,
  );
  return ({ seq, enrichment, state, at, withRow }) => {
    const found = publishedSeqOf.get(seq);
    if (!found) throw new Error(`event ${seq} is not in the log`);
    if (found.published_seq !== null) return { fresh: false, row: bySeq.get(seq) };
    const row = withRow ? bySeq.get(seq) : undefined;
    const taken = takePending.get(seq);
    const { next } = nextPublished.get()!;
    const attempts = taken?.attempts ?? 0;
    const lastError = taken?.last_error ?? null;
    insertPublished.run({
      seq,
      publishedSeq: next,
      state,
      at,
      attempts,
      lastError,
      enrichment: enrichment === null ? null : packJson(enrichment),
    });
    return { fresh: true, publishedSeq: next, wasPending: taken !== undefined, attempts, lastError, row };
  };
}

/**
 * One pruning step, as a transaction of its own that returns how many events went. Only published events
 * go, oldest first, and only a prefix of publication order: an event still waiting for enrichment is kept
 * until it is delivered, and what stays has no gap a cursor could miss.
 */
function preparePrune(db: SqliteDatabase): (write: PruneWrite) => Pruned {
  const newest = db.prepare<[], { seq: number }>(
    "SELECT value AS seq FROM event_counters WHERE name = 'published'",
  );
  const oldestPublished = db.prepare<[number], { published_seq: number; received_at: number }>(
    `SELECT p.published_seq, e.received_at FROM event_published p JOIN events e ON e.seq = p.seq
     ORDER BY p.published_seq LIMIT ?`,
  );
  const dropEvents = db.prepare<[number]>(
    'DELETE FROM events WHERE seq IN (SELECT seq FROM event_published WHERE published_seq <= ?)',
  );
  const dropPublished = db.prepare<[number]>('DELETE FROM event_published WHERE published_seq <= ?');
  const prune = db.transaction(({ before, maxEvents, limit }: PruneWrite): number => {
    const pastCount = newest.get()!.seq - maxEvents;
    let upTo = 0;
    let count = 0;
    for (const row of oldestPublished.iterate(Math.max(0, Math.floor(limit)))) {
      if (row.published_seq > pastCount && row.received_at >= before) break;
      upTo = row.published_seq;
      count += 1;
    }
    if (count === 0) return 0;
    dropEvents.run(upTo);
    dropPublished.run(upTo);
    return count;
  });
  // A step's commit is not synced: were it lost, its rows would only be pruned again, and the next
  // synced commit (every append's) writes it to disk anyway. That keeps a disk flush out of the step,
  // which holds the write lock (appends wait behind it) for as long as it runs.
  return (write) => {
    const started = performance.now();
    const synchronous = db.pragma('synchronous', { simple: true }) as number;
    db.pragma('synchronous = NORMAL');
    let removed: number;
    try {
      removed = prune.immediate(write);
    } finally {
      db.pragma(`synchronous = ${synchronous}`);
    }
    return { removed, ms: performance.now() - started };
  };
}

/** The writes that share a group's transaction, by kind. */
function prepareGroupedWrites(db: SqliteDatabase) {
  const append = prepareAppend(db);
  const publish = preparePublish(db);
  const failure = db.prepare<[string, number]>(
    'UPDATE event_pending SET attempts = attempts + 1, last_error = ? WHERE seq = ?',
  );
  const setMeta = db.prepare<[string, string]>(
    'INSERT INTO event_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return (write: AppendWrite | PublishWrite | FailureWrite | MetaWrite): unknown => {
    switch (write.op) {
      case 'append':
        return append(write);
      case 'publish':
        return publish(write);
      case 'failure':
        return void failure.run(write.error, write.seq);
      case 'setMeta':
        return void setMeta.run(write.key, write.value);
      default:
        return unreachable(write);
    }
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function serve(port: MessagePort, db: SqliteDatabase): void {
  const grouped = prepareGroupedWrites(db);
  const prune = preparePrune(db);
  const writes = createGroupCommit(db);
  // A group's answers are settled one after another in the same turn: they leave as one message, once
  // the last of them has been added.
  let answers: Answer[] = [];
  const send = () => {
    const sending = answers;
    answers = [];
    port.postMessage(sending);
  };
  const answer = (reply: Answer) => {
    if (answers.push(reply) === 1) queueMicrotask(send);
  };
  // Sent by the log's main side, of the same build: typed, not parsed as a boundary's input would be.
  port.on('message', (batch: Request[]) => {
    for (const request of batch) {
      const { id } = request;
      if (request.op === 'close') {
        writes.flush();
        // After the answers of that last group, which settle in the microtasks the flush queued.
        setImmediate(() => {
          db.close();
          answer({ id, value: undefined });
        });
      } else if (request.op === 'prune') {
        try {
          answer({ id, value: prune(request) });
        } catch (error) {
          answer({ id, error: messageOf(error) });
        }
      } else {
        writes
          .run(() => grouped(request))
          .then(
            (value) => answer({ id, value }),
            (error: unknown) => answer({ id, error: messageOf(error) }),
          );
      }
    }
  });
}

if (!parentPort) throw new Error('sqlite-event-writer.js runs as the worker thread of the SQLite event log');
serve(parentPort, openDatabase({ file: (workerData as { file: string }).file }));
