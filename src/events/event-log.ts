// The event log's contract, shared by the embedded SQLite log and (later) the Redis Streams log: events
// are appended durably on receipt, then marked as enriched and published in publication order.
import { type ParsedNotice } from './notice.js';

export type DeliveryState = 'received' | 'published' | 'failed';

/** The entities fetched over REST for an event, as billwerk DTOs (snapshots at enrichment time). */
export interface Enrichment {
  contract?: unknown;
  change?: unknown;
  customer?: unknown;
  invoice?: unknown;
}

export interface StoredEvent {
  /** Receipt order; billwerk's order for one contract. */
  seq: number;
  /** Publication order; what cursors count. Undefined until published. */
  publishedSeq?: number;
  state: DeliveryState;
  notice: ParsedNotice;
  receivedAt: Date;
  publishedAt?: Date;
  enrichment?: Enrichment;
  attempts: number;
  lastError?: string;
}

export type AppendResult = { stored: true; seq: number } | { stored: false; duplicateOf: number };

export interface EventLog {
  /**
   * Stores a notice durably (returns after the write is on disk), or reports the earlier copy when it is
   * a retry of one already stored.
   */
  append(
    notice: ParsedNotice,
    options: { dedupeKey: string; mayRepeat: boolean; receivedAt: Date },
  ): AppendResult;
  /** Events received but not yet published, in receipt order (work left over from before a restart). */
  pending(): StoredEvent[];
  /** Records a failed enrichment attempt. */
  recordFailure(seq: number, error: string): void;
  /** Marks an event published with the next publication sequence, storing what enrichment fetched. */
  publish(
    seq: number,
    enrichment: Enrichment | undefined,
    state: 'published' | 'failed',
    at: Date,
  ): StoredEvent;
  /** Published events after a publication sequence, oldest first. */
  readPublished(afterPublishedSeq: number, limit: number): StoredEvent[];
  /** The lowest publication sequence still kept (a cursor before it has expired); undefined when empty. */
  oldestPublishedSeq(): number | undefined;
  lastPublishedSeq(): number;
  /** Drops events received before `before`; returns how many. */
  prune(before: Date): number;
  close(): void;
}
