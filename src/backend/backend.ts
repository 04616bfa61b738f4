// The backend: everything that differs between one gateway instance (the embedded SQLite database) and
// several sharing Redis. createBackend chooses once, from the configuration; the rest of the gateway gets
// the same interfaces either way and never asks which one it has.
import { type PersistedQueryOptions } from '@apollo/server';
import { type PartnerStore } from '../auth/partner-store.js';
import { type Config } from '../config.js';
import { type DestinationStore } from '../destinations/destination.js';
import { type DestinationLease } from '../destinations/lease.js';
import { type EventSystem, type EventSystemTuning } from '../delivery/event-system.js';
import { type Replayer } from '../delivery/replay.js';
import { type Lease } from '../events/sweep-lease.js';
import { type IdempotencyStore } from '../idempotency/store.js';
import { type BillwerkReader } from '../loaders/reader.js';
import { type Logger } from '../logger.js';
import { type RateLimit } from '../server/rate-limit.js';
import { type SqliteDatabase } from '../store/database.js';
import { createLocalBackend } from './local.js';
import { createRedisBackend } from './redis.js';

export interface BackendOptions {
  config: Config;
  /** What enrichment reads billwerk through. */
  reader: BillwerkReader;
  /** The gateway's logger; the backend's parts log as `events` and `redis`. */
  logger: Logger;
  /** Mutation outcomes kept by the caller's own store (tests): used, and left for the caller to close. */
  idempotency?: IdempotencyStore;
  /** Clock for idempotency expiry, epoch ms (the emulator's in tests). @default Date.now */
  now?: () => number;
  hubOptions?: EventSystemTuning['hubOptions'];
  pipelineOptions?: EventSystemTuning['pipelineOptions'];
}

export interface Backend {
  /** The event log, the hub and the delivery path from a stored event to the hub. */
  readonly events: EventSystem;
  /** Who may run the reconciliation sweep now (one instance at a time). */
  readonly sweepLease: Lease;
  /** Mutation outcomes kept for idempotent replays. */
  readonly idempotency: IdempotencyStore;
  /** Partners' signed-up customers. */
  readonly partners: PartnerStore;
  /** Sends stored events to live subscribers again, on every instance. */
  readonly replayer: Replayer;
  /** Per-caller rate limit buckets. */
  readonly rateLimit: RateLimit;
  /** Automatic persisted queries. @default Apollo Server's, in this process's memory */
  readonly persistedQueries?: PersistedQueryOptions;
  /** Event destinations and which instance works on each. */
  readonly destinations: { readonly store: DestinationStore; readonly lease: DestinationLease };
  /** The gateway's own database (readiness writes to it) and, with Redis, whether Redis can serve. */
  readonly readiness: { readonly db: SqliteDatabase; readonly redis?: () => Promise<boolean> };
  /** Closes what it opened, the event system first. */
  close(): Promise<void>;
}

export function createBackend(options: BackendOptions): Promise<Backend> {
  return options.config.redis
    ? createRedisBackend(options, options.config.redis)
    : Promise.resolve(createLocalBackend(options));
}
