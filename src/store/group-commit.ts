// Group commit for the embedded database: writes asked for together share one transaction, so one disk
// flush (synchronous = FULL) makes all of them durable, and each caller is answered after that flush.
import { type SqliteDatabase } from './database.js';

export interface GroupCommit {
  /**
   * Runs `work` inside the next shared transaction and resolves with its result once that transaction is
   * committed (on disk). A throw of `work` undoes its own writes only and rejects its own promise; a
   * failing commit rejects every write of the group.
   */
  run<T>(work: () => T): Promise<T>;
  /** Commits what is queued now, synchronously (before the database is closed). */
  flush(): void;
}

interface Queued {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * better-sqlite3 is synchronous, so a commit and its flush hold the event loop: one per write would make
 * the disk the limit of every webhook. Instead, writes queue until the event loop has finished the I/O
 * callbacks at hand (setImmediate: every request whose body arrived in this turn has asked by then), and
 * then commit together. Writes arriving during a flush are read by the next turn and form the next group,
 * so the group grows with the load and the flushes per second stay about those of one writer alone.
 */
export function createGroupCommit(db: SqliteDatabase): GroupCommit {
  let queue: Queued[] = [];
  // Each write in a savepoint of its own (a nested better-sqlite3 transaction), so one write that throws
  // leaves the others of its group in place.
  const one = db.transaction((work: () => unknown) => work());
  const all = db.transaction((group: Queued[]) =>
    group.map((entry): { ok: true; value: unknown } | { ok: false; error: Error } => {
      try {
        return { ok: true, value: one(entry.work) };
      } catch (error) {
        return { ok: false, error: asError(error) };
      }
    }),
  );

  function flush(): void {
    const group = queue;
    queue = [];
    if (group.length === 0) return;
    let outcomes;
    try {
      outcomes = all.immediate(group);
    } catch (error) {
      for (const entry of group) entry.reject(asError(error));
      return;
    }
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) group[i]!.resolve(outcome.value);
      else group[i]!.reject(outcome.error);
    });
  }

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      });
    },
    flush,
  };
}
