// The event log with the delivery path behind it, as the backend (backend/) builds it: a stored event goes
// through the relay (this instance's pipeline alone, or on Redis the lease holder's, whichever instance
// stored it) to enrichment, publication and the hub, from which every transport's fan-out reads.
import { type EventLog } from './event-log.js';
import { type EventHub, type EventHubOptions } from './hub.js';
import { type ParsedNotice } from './notice.js';
import { type EventPipeline, type PipelineOptions } from './pipeline.js';

/** Tuning of the hub and the pipeline, the same on either backend. */
export interface EventSystemTuning {
  hubOptions?: Pick<EventHubOptions, 'maxBuffered'>;
  pipelineOptions?: Pick<PipelineOptions, 'maxAttempts' | 'retryBaseDelayMs' | 'batchSize'>;
}

export interface EventSystem {
  readonly log: EventLog;
  readonly hub: EventHub;
  readonly pipeline: EventPipeline;
  /**
   * For the webhook route: what happens to a stored event on this instance (handed to its pipeline), or
   * nothing when another part reads stored events from the log (Redis: the lease holder's relay).
   */
  readonly onStored?: (seq: number, notice: ParsedNotice) => void;
  /** Resumes work left from before a restart (SQLite) or joins the other instances (Redis). */
  start(): Promise<void>;
  close(): Promise<void>;
}
