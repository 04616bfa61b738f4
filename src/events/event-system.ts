// The event log, hub and pipeline as one part, on the embedded SQLite database or, when Redis is
// configured, on Redis streams shared by every instance (redis-event-log.ts, redis-relay.ts).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { type BillwerkReader } from '../loaders/reader.js';
import { type Logger } from '../logger.js';
import { type RedisConnections } from '../redis/connection.js';
import { type SqliteDatabase } from '../store/database.js';
import { type EventLog } from './event-log.js';
import { createEventHub, type EventHub, type EventHubOptions } from './hub.js';
import { type ParsedNotice } from './notice.js';
import { createEventPipeline, type EventPipeline, type PipelineOptions } from './pipeline.js';
import { createRedisEventLog, redisEventKeys } from './redis-event-log.js';
import { createRedisRelay, type RedisRelay } from './redis-relay.js';
import { createSqliteEventLog } from './sqlite-event-log.js';

export interface EventSystemOptions {
  db: SqliteDatabase;
  /** Redis connections and settings; the SQLite log is used without them. */
  redis?: { connections: RedisConnections; keyPrefix?: string; leaseMs?: number };
  reader: BillwerkReader;
  logger: Logger;
  /** How long published events are kept (EVENT_RETENTION_DAYS). */
  retentionMs: number;
  /** How many published events are kept at most (EVENT_RETENTION_MAX_EVENTS). */
  maxEvents: number;
  hubOptions?: Pick<EventHubOptions, 'maxBuffered'>;
  pipelineOptions?: Pick<PipelineOptions, 'maxAttempts' | 'retryBaseDelayMs' | 'batchSize'>;
}

export interface EventSystem {
  readonly log: EventLog;
  readonly hub: EventHub;
  readonly pipeline: EventPipeline;
  /** Present with Redis: the lease holder and the published-stream tail. */
  readonly relay?: RedisRelay;
  /** For the webhook route: what happens to a stored event on this instance. */
  readonly onStored?: (seq: number, notice: ParsedNotice) => void;
  /** Resumes work left from before a restart (SQLite) or joins the other instances (Redis). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createEventSystem(options: EventSystemOptions): EventSystem {
  const { reader, logger } = options;
  if (!options.redis) {
    const log = createSqliteEventLog(options.db);
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

  const { connections, keyPrefix, leaseMs } = options.redis;
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = createRedisEventLog({
    redis: connections.client,
    keyPrefix,
    retentionMs: options.retentionMs,
    maxPublished: options.maxEvents,
    instanceId,
    leaseToken: () => relay.leaseToken(),
    replicated: connections.replicated,
    followedThrough: () => relay.followedThrough,
  });
  const hub = createEventHub({ log, ...options.hubOptions });
  // Published events reach this instance's hub through the tail of the published stream, like those
  // another instance published: no direct hand-over, so every subscriber sees one order.
  const pipeline = createEventPipeline({ log, reader, logger, ...options.pipelineOptions });
  const relay = createRedisRelay({
    redis: connections.client,
    blocking: (name) => connections.blocking(name),
    keys: redisEventKeys(keyPrefix),
    pipeline,
    hub,
    reader,
    logger,
    instanceId,
    leaseMs,
    replicated: connections.replicated,
  });
  return {
    log,
    hub,
    pipeline,
    relay,
    // The lease holder reads stored events from the inbox, whichever instance received them.
    onStored: undefined,
    start: () => relay.start(),
    close: () => relay.close(),
  };
}
