// The event log's contract, shared by the embedded SQLite log and the Redis Streams log: events are
// appended durably on receipt, then marked as enriched and published in publication order. Every method
// is asynchronous, so a networked store fits behind the same interface.
import type { Contract, ContractChange, Customer, Invoice } from '../billwerk/dto.js';
import { type ParsedNotice } from './notice.js';

export type DeliveryState = 'received' | 'published' | 'failed';

/** Where an event came from: billwerk's webhook, or a reconciliation that found it missing. */
export type EventSource = 'webhook' | 'reconciled';

/** The entities fetched over REST for an event, as billwerk DTOs (snapshots at enrichment time). */
export interface Enrichment {
  contract?: Contract;
  change?: ContractChange;
  customer?: Customer;
  invoice?: Invoice;
}

export interface StoredEvent {
  /** Receipt order; billwerk's order for one contract. */
  seq: number;
  /** Publication order; what cursors count. Undefined until published. */
  publishedSeq?: number;
  state: DeliveryState;
  source: EventSource;
  notice: ParsedNotice;
  receivedAt: Date;
  publishedAt?: Date;
  enrichment?: Enrichment;
  attempts: number;
  lastError?: string;
  /** Set on a copy an operator sent to subscribers again (replay); never stored. */
  replayed?: boolean;
}

export type AppendResult = { stored: true; seq: number } | { stored: false; duplicateOf: number };

export interface AppendOptions {
  /** Notices with the same key are one event (see notice.ts dedupeKey). */
  dedupeKey: string;
  /** A repeat may be a new event (then it is stored even when the key was seen); see notice.ts mayRepeat. */
  mayRepeat: boolean;
  receivedAt: Date;
  /** @default 'webhook' */
  source?: EventSource;
}

/** A page of the log in receipt order, for an operator browsing it. */
export interface EventListQuery {
  first: number;
  /** Events with a receipt sequence above this one. */
  afterSeq?: number;
  /** Event names, compared case-insensitively. */
  types?: string[];
  contractId?: string;
  /** receivedAt ≥ from. */
  from?: Date;
  /** receivedAt < to. */
  to?: Date;
}

export interface EventLogStats {
  /** Events stored but not yet published (the pipeline lag). */
  pending: number;
  /** The publication sequence of the last event published (0 when none was). */
  lastPublishedSeq: number;
  /** Published events still kept (what cursors can replay). */
  retained: number;
  /** The oldest publication sequence still kept, and when its event was received; absent when none is. */
  oldest?: { publishedSeq: number; receivedAt: Date };
}

/**
 * One step of pruning: the oldest published events past either bound go, at most `limit` of them, so a
 * step stays short however far behind pruning is. An event not yet published is never removed.
 */
export interface PruneStep {
  /** Events received before this are past the age bound (EVENT_RETENTION_DAYS). */
  before: Date;
  /** At most this many published events are kept (EVENT_RETENTION_MAX_EVENTS). */
  maxEvents: number;
  /** At most this many events go in this step. */
  limit: number;
}

/** What a reader of published events wants at most; a log may read more (never less). */
export interface ReadScope {
  /** Only events of this contract (the notice's contract id). */
  contractId?: string;
}

export interface EventLog {
  /**
   * Stores a notice durably (resolves after the write is on disk), or reports the earlier copy when it is
   * a retry of one already stored.
   */
  append(notice: ParsedNotice, options: AppendOptions): Promise<AppendResult>;
  /**
   * Events received but not yet published with a receipt sequence above `afterSeq`, in receipt order, at
   * most `limit` (work left over from before a restart, read a page at a time).
   */
  pending(afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** Records a failed enrichment attempt. */
  recordFailure(seq: number, error: string): Promise<void>;
  /**
   * Marks an event published with the next publication sequence, storing what enrichment fetched. An
   * event already published is returned as it was published (publishing is idempotent).
   */
  publish(
    seq: number,
    enrichment: Enrichment | undefined,
    state: 'published' | 'failed',
    at: Date,
  ): Promise<StoredEvent>;
  /**
   * Published events after a publication sequence, oldest first. With a scope, a log may return only the
   * events in it (a narrower read for a subscriber limited to one contract), or all of them: the caller
   * still filters what comes back.
   */
  readPublished(afterPublishedSeq: number, limit: number, scope?: ReadScope): Promise<StoredEvent[]>;
  /** The lowest publication sequence still kept (a cursor before it has expired); undefined when empty. */
  oldestPublishedSeq(): Promise<number | undefined>;
  lastPublishedSeq(): Promise<number>;
  /** Events in receipt order, published or not (failed ones with their attempts and last error). */
  list(query: EventListQuery): Promise<StoredEvent[]>;
  /** One event by receipt sequence. */
  get(seq: number): Promise<StoredEvent | undefined>;
  /** A small durable key/value beside the events (e.g. a reconciliation watermark). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  stats(): Promise<EventLogStats>;
  /**
   * Drops the oldest published events past the age or count bound, at most `step.limit` of them; returns
   * how many went (fewer than the limit: nothing more to prune for now). What is kept is always the newest
   * stretch of publication order, so a cursor either resumes with no gap or is older than the oldest kept.
   */
  prune(step: PruneStep): Promise<number>;
  close(): Promise<void>;
}
