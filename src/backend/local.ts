// One instance alone: the event log, idempotency keys, partners' customers and event destinations in the
// embedded SQLite database (DATA_DIR/gateway.db); leases are always this instance's, buckets in memory.
import path from 'node:path';
import { createPartnerStore } from '../auth/partner-store.js';
import { localDestinationLease } from '../destinations/lease.js';
import { createSqliteDestinationStore } from '../destinations/sqlite-destination-store.js';
import { createEventSystem } from '../events/event-system.js';
import { localReplayer } from '../events/replay.js';
import { localLease } from '../events/sweep-lease.js';
import { createSqliteIdempotencyStore } from '../idempotency/sqlite-store.js';
import { createRateLimit } from '../server/rate-limit.js';
import { openDatabase } from '../store/database.js';
import { type Backend, type BackendOptions } from './backend.js';

export function createLocalBackend(options: BackendOptions): Backend {
  const { config } = options;
  const db = openDatabase({ file: path.join(config.dataDir, 'gateway.db') });
  const events = createEventSystem({
    db,
    reader: options.reader,
    logger: options.logger,
    retentionMs: config.eventRetentionMs,
    maxEvents: config.eventRetentionMaxEvents,
    hubOptions: options.hubOptions,
    pipelineOptions: options.pipelineOptions,
  });
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
