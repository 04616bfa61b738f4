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

/** Sends one serialised result to one subscriber; resolves once it is written (or cannot be). */
export type Writer = (json: string) => Promise<void>;

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

function groupKey(args: ExecutionArgs, scope: string): string {
  const operation = args.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
  );
  // An `after` variable only positions the subscriber in the stream (an inline cursor makes its own group).
  const variables = Object.entries(args.variableValues ?? {})
    .filter(([name]) => !POSITION_VARIABLES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([scope, operation ? print(operation) : print(args.document), variables]);
}

export function createFanout(options: FanoutOptions): Fanout {
  const stats: FanoutStats = { executions: 0, shared: 0, serialisations: 0 };
  const serialise = options.serialise ?? ((result: ExecutionResult) => JSON.stringify(result));
  // Results in flight are shared too: concurrent subscribers of one group wait on one execution.
  const results = new LRUCache<string, Promise<Entry>>({ max: options.maxEntries ?? 2000 });

  const textOf = (entry: Entry): string => {
    if (entry.json === undefined) {
      stats.serialisations += 1;
      entry.json = serialise(entry.result);
    }
    return entry.json;
  };

  async function subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const created = await createSourceEventStream(args);
    if (!isAsyncIterable(created)) return created;
    const source: AsyncIterable<unknown> & { return?: AsyncIterator<unknown>['return'] } = created;
    const group = groupKey(args, options.scopeOf(args.contextValue));

    const writer = options.writerOf?.(args.contextValue);
    let ended = false;

    const run = async (payload: unknown): Promise<Entry> => ({
      result: await execute({ ...args, rootValue: payload }),
    });
    /** This event's entry for the group: executed by the first subscriber to get here, shared after. */
    const entryFor = (payload: unknown): Promise<Entry> => {
      const event = options.eventKey(payload);
      if (event === undefined) {
        stats.executions += 1;
        return run(payload);
      }
      const key = `${group}\u0000${event}`;
      let entry = results.get(key);
      if (entry) stats.shared += 1;
      else {
        stats.executions += 1;
        entry = run(payload);
        results.set(key, entry);
      }
      return entry;
    };

    async function* results$(): AsyncGenerator<ExecutionResult> {
      try {
        for await (const payload of source) {
          const entry = await entryFor(payload);
          if (!writer) yield entry.result;
          // Ended while this event was executed: its frame would follow the caller's `complete`.
          else if (!ended) await writer(textOf(entry));
        }
      } finally {
        await source.return?.(undefined);
      }
    }
    const iterator = results$();
    // graphql-ws ends a subscription with return(), which a generator parked on `source.next()` would
    // only see after the next event: end the source first, so the wait ends now and no listener lingers.
    const originalReturn = iterator.return.bind(iterator);
    iterator.return = async (value) => {
      ended = true;
      await source.return?.(undefined);
      return originalReturn(value);
    };
    return iterator;
  }

  return { subscribe, stats };
}
