// Grouped execution of subscription events: subscribers that sent the same operation with the same
// variables (cursor aside) under the same scope form a group, and each event is executed and serialised
// once per group; each subscriber then only writes the shared text.
import {
  createSourceEventStream,
  execute,
  Kind,
  print,
  type ExecutionArgs,
  type ExecutionResult,
  type OperationDefinitionNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';

export interface FanoutStats {
  /** Event executions actually run. */
  executions: number;
  /** Event results served from a group's earlier execution. */
  shared: number;
  /** Results turned into text (`serialise`): once per group and event, not per subscriber. */
  serialisations: number;
}

/**
 * Sends one serialised result to one subscriber; resolves once it is written (or cannot be). `event` is the
 * source event the result was executed for (an SSE writer names the event by its cursor).
 */
export type Writer = (json: string, event: unknown) => Promise<void>;

export interface Fanout {
  /** graphql-ws's `subscribe` hook: a source stream per subscriber, execution shared per group. */
  subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult>;
  readonly stats: Readonly<FanoutStats>;
}

export interface FanoutOptions {
  /** The scope of a subscriber's context (its principal); subscribers of different scopes never share. */
  scopeOf: (contextValue: unknown) => string;
  /** The identity of an event for memoisation (its publication sequence). */
  eventKey: (payload: unknown) => string | undefined;
  /** Results remembered per process; an entry serves every subscriber of its group. @default 2000 */
  maxEntries?: number;
  /**
   * Delivery taken over from the caller: the writer of a subscriber (by its context), which receives the
   * result serialised once per group and event. Without one the subscriber's stream yields the results.
   * @default none
   */
  writerOf?: (contextValue: unknown) => Writer | undefined;
  /** The text of a result as `writerOf`'s writers send it. @default JSON.stringify */
  serialise?: (result: ExecutionResult) => string;
}

/** A group's result for one event, with its text once the first writer asked for it. */
interface Entry {
  result: ExecutionResult;
  json?: string;
}

/** Variables that position a subscriber in the stream rather than choose what it sees. */
const POSITION_VARIABLES = new Set(['after']);

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Documents are shared by the parse cache; their printed form is kept with them, not per subscriber. */
const printed = new WeakMap<object, string>();
function printOnce(node: OperationDefinitionNode | ExecutionArgs['document']): string {
  let text = printed.get(node);
  if (text === undefined) {
    text = print(node);
    printed.set(node, text);
  }
  return text;
}

function groupKey(args: ExecutionArgs, scope: string): string {
  const operation = args.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
  );
  // An `after` variable only positions the subscriber in the stream (an inline cursor makes its own group).
  const variables = Object.entries(args.variableValues ?? {})
    .filter(([name]) => !POSITION_VARIABLES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([scope, printOnce(operation ?? args.document), variables]);
}

/** One subscription of a group, as the fan-out keeps it while it is open. */
interface Subscriber {
  readonly args: ExecutionArgs;
  readonly source: AsyncIterable<unknown> & { return?: AsyncIterator<unknown>['return'] };
  readonly group: string;
  /** Set when delivery was taken over (FanoutOptions.writerOf). */
  readonly writer: Writer | undefined;
  ended: boolean;
}

/**
 * A subscriber's results: yielded, or written through its writer. At module level rather than per
 * subscription: a generator function declared inside another gives each of its calls a new prototype
 * and object shape, memory that thousands of idle subscriptions would each hold.
 */
async function* follow(
  subscriber: Subscriber,
  entryFor: (subscriber: Subscriber, payload: unknown) => Promise<Entry>,
  textOf: (entry: Entry) => string,
): AsyncGenerator<ExecutionResult> {
  const { source, writer } = subscriber;
  try {
    for await (const payload of source) {
      const entry = await entryFor(subscriber, payload);
      if (!writer) yield entry.result;
      // Ended while this event was executed: its frame would follow the caller's `complete`.
      else if (!subscriber.ended) await writer(textOf(entry), payload);
    }
  } finally {
    await source.return?.(undefined);
  }
}

export function createFanout(options: FanoutOptions): Fanout {
  const stats: FanoutStats = { executions: 0, shared: 0, serialisations: 0 };
  const serialise = options.serialise ?? ((result: ExecutionResult) => JSON.stringify(result));
  // Results in flight are shared too: concurrent subscribers of one group wait on one execution.
  const results = new LRUCache<string, Promise<Entry>>({ max: options.maxEntries ?? 2000 });
  // Each subscriber keeps its group's key while it is open: one copy per group rather than per subscriber.
  const groups = new LRUCache<string, string>({ max: 1000 });
  const intern = (key: string): string => {
    const known = groups.get(key);
    if (known !== undefined) return known;
    groups.set(key, key);
    return key;
  };

  const textOf = (entry: Entry): string => {
    if (entry.json === undefined) {
      stats.serialisations += 1;
      entry.json = serialise(entry.result);
    }
    return entry.json;
  };

  /** This event's entry for the subscriber's group: executed by the first to get here, shared after. */
  function entryFor(subscriber: Subscriber, payload: unknown): Promise<Entry> {
    const run = async (): Promise<Entry> => ({
      result: await execute({ ...subscriber.args, rootValue: payload }),
    });
    const event = options.eventKey(payload);
    if (event === undefined) {
      stats.executions += 1;
      return run();
    }
    const key = `${subscriber.group}\u0000${event}`;
    let entry = results.get(key);
    if (entry) stats.shared += 1;
    else {
      stats.executions += 1;
      entry = run();
      results.set(key, entry);
    }
    return entry;
  }

  async function subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const created = await createSourceEventStream(args);
    if (!isAsyncIterable(created)) return created;
    const subscriber: Subscriber = {
      args,
      source: created,
      group: intern(groupKey(args, options.scopeOf(args.contextValue))),
      writer: options.writerOf?.(args.contextValue),
      ended: false,
    };
    const iterator = follow(subscriber, entryFor, textOf);
    // graphql-ws ends a subscription with return(), which a generator parked on `source.next()` would
    // only see after the next event: end the source first, so the wait ends now and no listener lingers.
    const originalReturn = iterator.return.bind(iterator);
    iterator.return = async (value) => {
      subscriber.ended = true;
      await subscriber.source.return?.(undefined);
      return originalReturn(value);
    };
    return iterator;
  }

  return { subscribe, stats };
}
