// The fan-out's grouping at unit level: one execution and one serialisation per group and event, the
// shared text handed to every subscriber's writer, and nothing written after a subscriber ended.
import { describe, expect, it } from '@jest/globals';
import {
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import { type EventLog, type StoredEvent } from '../../src/events/event-log.js';
import { createEventHub } from '../../src/delivery/hub.js';
import { createFanout, type Writer } from '../../src/delivery/fanout.js';

interface Tick {
  seq: number;
  text: string;
}

/** A source of ticks every subscriber listens to, and a schema whose `tick` resolver counts its runs. */
function fixture() {
  const listeners = new Set<(tick: Tick) => void>();
  const resolved = { count: 0 };
  /** As the event hub's streams: return() ends the stream even while it waits for a tick. */
  function ticks(): AsyncGenerator<Tick> {
    const queue: Tick[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const listener = (tick: Tick) => {
      queue.push(tick);
      wake?.();
    };
    listeners.add(listener);
    const stop = () => {
      done = true;
      listeners.delete(listener);
      wake?.();
    };
    async function* run(): AsyncGenerator<Tick> {
      try {
        while (!done) {
          const next = queue.shift();
          if (next) yield next;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        stop();
      }
    }
    const iterator = run();
    const originalReturn = iterator.return.bind(iterator);
    iterator.return = (value) => {
      stop();
      return originalReturn(value);
    };
    return iterator;
  }
  const query = new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } });
  const subscription = new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      tick: {
        type: GraphQLString,
        subscribe: () => ticks(),
        resolve: (tick: Tick) => {
          resolved.count += 1;
          return tick.text;
        },
      },
    },
  });
  const schema = new GraphQLSchema({ query, subscription });
  const publish = (tick: Tick) => listeners.forEach((listener) => listener(tick));
  return { schema, publish, listeners, resolved };
}

const args = (schema: GraphQLSchema, contextValue: object): ExecutionArgs => ({
  schema,
  document: parse('subscription { tick }'),
  contextValue,
});

/** Lets every pending microtask and promise job run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('fan-out with writers', () => {
  it('executes and serialises an event once for 50 subscribers of one group and writes that text to each', async () => {
    const { schema, publish, listeners, resolved } = fixture();
    const written = new Map<object, string[]>();
    const fanout = createFanout({
      scopeOf: () => 'one principal',
      eventKey: (payload) => String((payload as Tick).seq),
    });
    const withWriter = () => {
      const texts: string[] = [];
      const writer: Writer = {
        write: (json) => {
          texts.push(json);
          return Promise.resolve();
        },
      };
      written.set(writer, texts);
      return { ...args(schema, {}), writer };
    };
    const streams = await Promise.all(Array.from({ length: 50 }, () => fanout.subscribe(withWriter())));
    const pulls = streams.map((stream) => (stream as AsyncGenerator<ExecutionResult>).next());
    await settle();
    expect(listeners.size).toBe(50);

    publish({ seq: 1, text: 'first' });
    publish({ seq: 2, text: 'second' });
    await settle();
    expect(fanout.stats).toEqual({ executions: 2, shared: 98, serialisations: 2 });
    expect(resolved.count).toBe(2);
    const texts = [...written.values()];
    expect(texts).toHaveLength(50);
    for (const t of texts) {
      expect(t).toEqual(['{"data":{"tick":"first"}}', '{"data":{"tick":"second"}}']);
    }
    // The very same strings, not equal copies: one serialisation each.
    expect(new Set(texts.map((t) => t[0])).size).toBe(1);

    // Ending a subscriber removes its listener at once and nothing more is written to it.
    const [first, ...rest] = streams as AsyncGenerator<ExecutionResult>[];
    await first!.return(undefined);
    await expect(pulls[0]).resolves.toEqual({ done: true, value: undefined });
    expect(listeners.size).toBe(49);
    publish({ seq: 3, text: 'third' });
    await settle();
    expect(texts[0]).toHaveLength(2);
    expect(texts[1]).toHaveLength(3);
    expect(fanout.stats.serialisations).toBe(3);
    await Promise.all(rest.map((stream) => stream.return(undefined)));
    expect(listeners.size).toBe(0);
  });

  it('without a writer yields the shared results and serialises nothing', async () => {
    const { schema, publish } = fixture();
    const fanout = createFanout({
      scopeOf: () => 'one principal',
      eventKey: (payload) => String((payload as Tick).seq),
    });
    const streams = (await Promise.all([
      fanout.subscribe(args(schema, {})),
      fanout.subscribe(args(schema, {})),
    ])) as AsyncGenerator<ExecutionResult>[];
    const pulls = streams.map((stream) => stream.next());
    await settle();
    publish({ seq: 1, text: 'only' });
    const results = await Promise.all(pulls);
    expect(results.map((r): unknown => r.value)).toEqual([
      { data: { tick: 'only' } },
      { data: { tick: 'only' } },
    ]);
    expect(fanout.stats).toEqual({ executions: 1, shared: 1, serialisations: 0 });
    await Promise.all(streams.map((stream) => stream.return(undefined)));
  });

  it('feeds caught-up subscribers with queueing writers in one pass per event, in order', async () => {
    const hub = createEventHub({ log: {} as EventLog });
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
      subscription: new GraphQLObjectType({
        name: 'Subscription',
        fields: {
          seq: {
            type: GraphQLString,
            subscribe: () => hub.stream(() => true),
            resolve: (event: StoredEvent) => String(event.publishedSeq),
          },
        },
      }),
    });
    const fanout = createFanout({
      scopeOf: () => 'one principal',
      eventKey: (payload) => String((payload as StoredEvent).publishedSeq),
    });
    const written: string[][] = [];
    const streams = await Promise.all(
      Array.from({ length: 20 }, () => {
        const texts: string[] = [];
        written.push(texts);
        const writer: Writer = { queues: true, write: (json) => void texts.push(json) };
        return fanout.subscribe({
          schema,
          document: parse('subscription { seq }'),
          contextValue: {},
          writer,
        });
      }),
    );
    // graphql-ws pulls each stream once; a pushed subscriber's stream then waits for good.
    const pulls = (streams as AsyncGenerator<ExecutionResult>[]).map((stream) => stream.next());
    await hub.untilCount('opened', 20);
    await settle();

    for (const publishedSeq of [1, 2, 3]) hub.publish({ publishedSeq } as StoredEvent);
    await settle();
    const expected = [1, 2, 3].map((n) => `{"data":{"seq":"${n}"}}`);
    expect(written.every((texts) => JSON.stringify(texts) === JSON.stringify(expected))).toBe(true);
    expect(fanout.stats).toEqual({ executions: 3, shared: 57, serialisations: 3 });

    const [first, ...rest] = streams as AsyncGenerator<ExecutionResult>[];
    await first!.return(undefined);
    await expect(pulls[0]).resolves.toEqual({ done: true, value: undefined });
    hub.publish({ publishedSeq: 4 } as StoredEvent);
    await settle();
    expect(written[0]).toHaveLength(3);
    expect(written[1]).toHaveLength(4);
    await Promise.all(rest.map((stream) => stream.return(undefined)));
    expect(hub.size).toBe(0);
  });
});
