// The relay: how a stored event reaches an enrichment pipeline. One interface, two implementations, chosen
// by the backend: alone, the webhook route hands each stored event straight to this instance's pipeline
// (`localRelay`); with Redis, the holder of the enrichment lease reads stored events from the inbox stream,
// whichever instance stored them, and every instance tails the published stream into its own hub
// (redis-relay.ts).
import { type ParsedNotice } from '../events/notice.js';
import { type EventPipeline } from './pipeline.js';

export interface Relay {
  /**
   * For the webhook route and the reconciler: what happens to an event this instance just stored. Absent
   * when the relay reads stored events from the log itself (Redis).
   */
  readonly onStored?: (seq: number, notice: ParsedNotice) => void;
  /** Resumes what was stored before a restart but never published, then relays new events. */
  start(): Promise<void>;
  /** Stops relaying and waits for the events in hand to finish. */
  close(): Promise<void>;
}

export function localRelay(pipeline: EventPipeline): Relay {
  return {
    onStored: (seq, notice) => void pipeline.submit(seq, notice),
    // Events stored before a restart but not yet published go out first, in billwerk's order, a page
    // at a time while the gateway already serves (newer events wait in the log behind them).
    start: () => {
      void pipeline.resume();
      return Promise.resolve();
    },
    close: () => pipeline.close(),
  };
}
