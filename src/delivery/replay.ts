// Replays: stored events an operator sends to live subscribers again, flagged `replayed`. One instance
// hands them to its own hub; with Redis every instance gets them through a message, so a subscriber sees a
// replay whichever instance it is connected to.
import { type Redis } from 'ioredis';
import { type Logger } from '../logger.js';
import { type StoredEvent } from '../events/event-log.js';
import { type EventHub } from './hub.js';
import { eventFromJson } from '../events/stored-event.js';

export interface Replayer {
  /** Sends these events to every matching subscriber again (flagged `replayed`). */
  replay(events: readonly StoredEvent[]): Promise<void>;
  close(): Promise<void>;
}

const flagged = (event: StoredEvent): StoredEvent => ({ ...event, replayed: true });

export function localReplayer(hub: EventHub): Replayer {
  return {
    replay(events) {
      for (const event of events) hub.publish(flagged(event));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

export interface RedisReplayerOptions {
  redis: Redis;
  /** A connection of its own for the subscription. */
  subscriber: Redis;
  hub: EventHub;
  logger: Logger;
  /** @default 'bgg:' */
  keyPrefix?: string;
}

export function redisReplayer(options: RedisReplayerOptions): Replayer {
  const { redis, subscriber, hub, logger } = options;
  const channel = `${options.keyPrefix ?? 'bgg:'}replay`;
  const onMessage = (from: string, message: string) => {
    if (from !== channel) return;
    try {
      const raw: unknown = JSON.parse(message);
      if (!Array.isArray(raw)) throw new TypeError('a replay message is a list of events');
      // Parsed before any is published: a message is delivered whole or not at all.
      const events = raw.map(eventFromJson);
      for (const event of events) hub.publish(flagged(event));
    } catch (error) {
      logger.warn({ err: error }, 'a replay message could not be read');
    }
  };
  subscriber.on('message', onMessage);
  const subscribed = subscriber.subscribe(channel).catch((error: unknown) => {
    logger.warn({ err: error }, 'replays from other instances will not arrive here');
  });
  return {
    async replay(events) {
      await subscribed;
      // Every instance, this one included, gets the message and publishes to its own subscribers.
      await redis.publish(channel, JSON.stringify(events));
    },
    async close() {
      subscriber.off('message', onMessage);
      // Only on a live connection: while Redis is unreachable the command would wait for a reconnect
      // (the connection is closed right after anyway).
      if (subscriber.status === 'ready') await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
