// One instance alone: the event log, idempotency keys, partners' customers and event destinations in the
// embedded SQLite database (DATA_DIR/gateway.db); leases are always this instance's, buckets in memory.
import path from 'node:path';
import { createPartnerStore } from '../auth/partner-store.js';
import { localDestinationLease } from '../destinations/lease.js';
import { createSqliteDestinationStore } from '../destinations/sqlite-destination-store.js';
import { type EventSystem } from '../events/event-system.js';
import { createEventHub } from '../events/hub.js';
import { createEventPipeline } from '../events/pipeline.js';
import { localReplayer } from '../events/replay.js';
import { createSqliteEventLog } from '../events/sqlite-event-log.js';
import { localLease } from '../events/sweep-lease.js';
import { createSqliteIdempotencyStore } from '../idempotency/sqlite-store.js';
import { createRateLimit } from '../server/rate-limit.js';
import { openDatabase, type SqliteDatabase } from '../store/database.js';
import { type Backend, type BackendOptions } from './backend.js';

export function createLocalBackend(options: BackendOptions): Backend {
  const { config } = options;
  const db = openDatabase({ file: path.join(config.dataDir, 'gateway.db') });
  const events = localEventSystem(db, options);
  const idempotency = createSqliteIdempotencyStore({ db, now: options.now });
  const destinationStore = createSqliteDestinationStore(db);
  return {
    events,
    sweepLease: localLease,
    idempotency,
    partners: createPartnerStore(db),
    replayer: localReplayer(events.hub),
    rateLimit: createRateLimit(config.rateLimit),
    destinations: { store: destinationStore, lease: localDestinationLease },
    readiness: { db },
    async close() {
      await events.close();
      await idempotency.close();
      db.close();
    },
  };
}

/** The relay of one instance: the webhook route hands each stored event to the pipeline, which publishes to the hub. */
function localEventSystem(db: SqliteDatabase, options: BackendOptions): EventSystem {
  const { reader, logger } = options;
  const log = createSqliteEventLog(db);
  const hub = createEventHub({ log, ...options.hubOptions });
  const pipeline = createEventPipeline({ log, hub, reader, logger, ...options.pipelineOptions });
  return {
    log,
    hub,
    pipeline,
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
