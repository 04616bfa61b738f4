// Operator replays with several instances: a replay asked of one instance reaches subscribers of every
// instance on the same Redis, flagged, with the event's original cursor position.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { type EventLog, type StoredEvent } from '../../src/events/event-log.js';
import { createEventHub, type EventHub } from '../../src/delivery/hub.js';
import { redisReplayer, type Replayer } from '../../src/delivery/replay.js';
import { createLogger } from '../../src/logger.js';
import { notice } from '../helpers/notices.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

let server: RedisServer;
const clients: Redis[] = [];
const replayers: Replayer[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(replayers.map((r) => r.close()));
  await Promise.all(clients.map((client) => client.quit()));
  await server.close();
});

/** A hub whose subscribers only follow live events: its log is never read. */
const liveHub = (): EventHub => createEventHub({ log: {} as EventLog });

function instance(hub: EventHub): Replayer {
  const redis = new Redis(server.url);
  const subscriber = new Redis(server.url);
  clients.push(redis, subscriber);
  const replayer = redisReplayer({
    redis,
    subscriber,
    hub,
    logger: createLogger({ level: 'silent' }),
    keyPrefix: 'test:',
  });
  replayers.push(replayer);
  return replayer;
}

const stored: StoredEvent = {
  seq: 7,
  publishedSeq: 5,
  state: 'published',
  source: 'webhook',
  notice: notice({ Event: 'ContractChanged', ContractId: '645b429bb73d36f442b223df' }),
  receivedAt: new Date('2026-01-15T10:00:00.000Z'),
  publishedAt: new Date('2026-01-15T10:00:01.000Z'),
  attempts: 0,
};

describe('replays with Redis', () => {
  it('reach the subscribers of every instance, flagged as replays', async () => {
    const hubs = [liveHub(), liveHub()];
    const [asked, other] = hubs.map(instance);
    // An empty replay resolves once its instance is subscribed.
    await Promise.all([asked!.replay([]), other!.replay([])]);
    const streams = await Promise.all(hubs.map((hub) => hub.stream(() => true)));
    const firsts = streams.map((stream) => stream.next());
    await asked!.replay([stored]);
    for (const first of await Promise.all(firsts)) {
      expect(first.value).toEqual({ ...stored, replayed: true });
    }
    for (const stream of streams) await stream.return?.(undefined);
  });
});
