// The event log with the delivery path behind it, as the backend (backend/) builds it: a stored event goes
// through the relay (this instance's pipeline alone, or on Redis the lease holder's, whichever instance
// stored it) to enrichment, publication and the hub, from which every transport's fan-out reads.
import { type EventLog } from '../events/event-log.js';
import { type EventHub, type EventHubOptions } from './hub.js';
import { type EventPipeline, type PipelineOptions } from './pipeline.js';
import { type Relay } from './relay.js';

/** Tuning of the hub and the pipeline, the same on either backend. */
export interface EventSystemTuning {
  hubOptions?: Pick<EventHubOptions, 'maxBuffered'>;
  pipelineOptions?: Pick<PipelineOptions, 'maxAttempts' | 'retryBaseDelayMs' | 'batchSize'>;
}

export interface EventSystem {
  readonly log: EventLog;
  readonly hub: EventHub;
  readonly pipeline: EventPipeline;
  /** How stored events reach the pipeline: this instance's alone, or the lease holder's on Redis. */
  readonly relay: Relay;
}
