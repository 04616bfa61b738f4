// One instance alone: the event log, idempotency keys, partners' customers and event destinations in the
// embedded SQLite database (DATA_DIR/gateway.db); leases are always this instance's, buckets in memory.
import path from 'node:path';
import { createPartnerStore } from '../auth/partner-store.js';
import { localDestinationLease } from '../destinations/lease.js';
import { createSqliteDestinationStore } from '../destinations/sqlite-destination-store.js';
import { type EventSystem } from '../delivery/event-system.js';
import { createEventHub } from '../delivery/hub.js';
import { createEventPipeline } from '../delivery/pipeline.js';
import { localRelay } from '../delivery/relay.js';
import { localReplayer } from '../delivery/replay.js';
import { createSqliteEventLog } from '../events/sqlite-event-log.js';
import { localLease } from '../events/sweep-lease.js';
import { createSqliteIdempotencyStore } from '../idempotency/sqlite-store.js';
import { createRateLimit } from '../server/rate-limit.js';
import { openDatabase, type SqliteDatabase } from '../store/database.js';
import { type Backend, type BackendOptions } from './backend.js';

export function createLocalBackend(options: BackendOptions): Backend {
  const { config } = options;
  const db = openDatabase({ file: path.join(config.dataDir, 'gateway.db') });
  try {
    return localBackend(db, options);
  } catch (error) {
    db.close();
    throw error;
  }
}

function localBackend(db: SqliteDatabase, options: BackendOptions): Backend {
  const { config } = options;
  const events = localEventSystem(db, options);
  const idempotency = options.idempotency ?? createSqliteIdempotencyStore({ db, now: options.now });
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
      await events.relay.close();
      if (idempotency !== options.idempotency) await idempotency.close();
      db.close();
    },
  };
}

/** One instance: the SQLite log, and the pipeline publishes straight to the hub. */
function localEventSystem(db: SqliteDatabase, options: BackendOptions): EventSystem {
  const { reader } = options;
  const logger = options.logger.child({ component: 'events' });
  const log = createSqliteEventLog(db);
  const hub = createEventHub({ log, ...options.hubOptions });
  const pipeline = createEventPipeline({ log, hub, reader, logger, ...options.pipelineOptions });
  return { log, hub, pipeline, relay: localRelay(pipeline) };
}
