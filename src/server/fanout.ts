// Grouped execution of subscription events: subscribers that sent the same operation with the same
// variables (cursor aside) under the same scope form a group, and each event is executed once per group.
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
}

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
  const stats: FanoutStats = { executions: 0, shared: 0 };
  // Results in flight are shared too: concurrent subscribers of one group wait on one execution.
  const results = new LRUCache<string, Promise<ExecutionResult>>({ max: options.maxEntries ?? 2000 });

  async function subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const created = await createSourceEventStream(args);
    if (!isAsyncIterable(created)) return created;
    const source: AsyncIterable<unknown> & { return?: AsyncIterator<unknown>['return'] } = created;
    const group = groupKey(args, options.scopeOf(args.contextValue));

    const run = (payload: unknown): Promise<ExecutionResult> =>
      Promise.resolve(execute({ ...args, rootValue: payload }));

    async function* results$(): AsyncGenerator<ExecutionResult> {
      try {
        for await (const payload of source) {
          const event = options.eventKey(payload);
          if (event === undefined) {
            stats.executions += 1;
            yield await run(payload);
            continue;
          }
          const key = `${group}\u0000${event}`;
          let result = results.get(key);
          if (result) stats.shared += 1;
          else {
            stats.executions += 1;
            result = run(payload);
            results.set(key, result);
          }
          yield await result;
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
      await source.return?.(undefined);
      return originalReturn(value);
    };
    return iterator;
  }

  return { subscribe, stats };
}
