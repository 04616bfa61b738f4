// Grouped execution of subscription events: subscribers that sent the same operation with the same
// variables (cursor aside) under the same scope form a group, and each event is executed and serialised
// once per group. A subscriber whose writer queues bytes (a WebSocket) that is caught up takes its live
// events in one pass of its group over its members, costing a write and nothing else per event.
import {
  createSourceEventStream,
  execute,
  Kind,
  locatedError,
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
 * Sends one result, serialised once per group and event, to one subscriber. `event` is the source event
 * it was executed for (an SSE writer names the event by its cursor).
 */
export interface Writer {
  /**
   * Resolves once written (or when it cannot be), holding the subscriber's stream back meanwhile, so the
   * hub's buffer limit catches a slow consumer; or, when `queues` is set, returns at once with the bytes
   * queued, the writer bounding a slow consumer itself.
   */
  write(json: string, event: unknown): Promise<void> | void;
  /**
   * The write queues and returns at once (a WebSocket's send): a caught-up subscriber is then fed live
   * events by its group's one pass over its members instead of a step of its own per event.
   * @default false
   */
  readonly queues?: boolean;
}

/** A subscription's execution arguments, with the writer its transport took its delivery over with. */
export type SubscriptionArgs = ExecutionArgs & {
  /** Without one the subscriber's stream yields its results (graphql-ws sends them itself). */
  readonly writer?: Writer;
};

export interface Fanout {
  /** graphql-ws's `subscribe` hook: a source stream per subscriber, execution shared per group. */
  subscribe(args: SubscriptionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult>;
  readonly stats: Readonly<FanoutStats>;
}

export interface FanoutOptions {
  /** The scope of a subscriber's context (its principal); subscribers of different scopes never share. */
  scopeOf: (contextValue: unknown) => string;
  /** The identity of an event for memoisation (its publication sequence). */
  eventKey: (payload: unknown) => string | undefined;
  /** Results remembered per process; an entry serves every subscriber of its group. @default 2000 */
  maxEntries?: number;
  /** The text of a result as writers send it. @default JSON.stringify */
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

/** A source that can hand its live events over once caught up (the event hub's streams). */
interface PushSource {
  pushLive(sink: (payload: unknown) => void): void;
}
const pushes = (source: object): source is PushSource =>
  typeof (source as Partial<PushSource>).pushLive === 'function';

/** Subscribers of one operation, variables and scope, while any is open. */
interface Group {
  readonly key: string;
  members: number;
  /** Events handed to members by push, in publish order, each with the members it reached. */
  readonly batches: Batch[];
  draining: boolean;
}

interface Batch {
  readonly event: unknown;
  readonly members: Subscriber[];
  started: boolean;
}

/** One subscription of a group, as the fan-out keeps it while it is open. */
interface Subscriber {
  readonly args: ExecutionArgs;
  readonly source: AsyncIterable<unknown> & { return?: AsyncIterator<unknown>['return'] };
  readonly group: Group;
  readonly writer: Writer | undefined;
  ended: boolean;
}

/** What the fan-out's operations share: its options, its counters, the remembered results and the open groups. */
interface FanoutState {
  readonly options: FanoutOptions;
  readonly stats: FanoutStats;
  readonly serialise: (result: ExecutionResult) => string;
  /** Results in flight are shared too: concurrent subscribers of one group wait on one execution. */
  readonly results: LRUCache<string, Promise<Entry>>;
  /** The groups with open subscribers: each subscriber keeps its group, one key per group. */
  readonly groups: Map<string, Group>;
}

/**
 * A subscriber's results: yielded, or written through its writer. At module level rather than per
 * subscription: a generator function declared inside another gives each of its calls a new prototype
 * and object shape, memory that thousands of idle subscriptions would each hold. A pushed subscriber
 * comes through here only for its replay and what arrived while it was not caught up.
 */
async function* follow(fanout: FanoutState, subscriber: Subscriber): AsyncGenerator<ExecutionResult> {
  const { source, writer } = subscriber;
  try {
    for await (const payload of source) {
      const entry = await entryFor(fanout, subscriber, payload);
      if (!writer) yield entry.result;
      // Ended while this event was executed: its frame would follow the caller's `complete`.
      else if (!subscriber.ended) await writer.write(textOf(fanout, entry), payload);
    }
  } finally {
    end(fanout, subscriber);
    await source.return?.(undefined);
  }
}

function join({ groups }: FanoutState, key: string): Group {
  let group = groups.get(key);
  if (!group) {
    group = { key, members: 0, batches: [], draining: false };
    groups.set(key, group);
  }
  group.members += 1;
  return group;
}

function end({ groups }: FanoutState, subscriber: Subscriber): void {
  if (subscriber.ended) return;
  subscriber.ended = true;
  const { group } = subscriber;
  group.members -= 1;
  if (group.members === 0 && groups.get(group.key) === group) groups.delete(group.key);
}

function textOf(fanout: FanoutState, entry: Entry): string {
  if (entry.json === undefined) {
    fanout.stats.serialisations += 1;
    entry.json = fanout.serialise(entry.result);
  }
  return entry.json;
}

/** One execution of an event for a subscriber's group. */
async function executeEvent(subscriber: Subscriber, payload: unknown): Promise<Entry> {
  try {
    return { result: await execute({ ...subscriber.args, rootValue: payload }) };
  } catch (error) {
    // execute() reports resolvers' errors in the result; a throw is the gateway's own fault, and every
    // member of the group gets it as an error of this event (formatted, so without internals).
    return { result: { errors: [locatedError(error, undefined)] } };
  }
}

/** This event's entry for the subscriber's group: executed by the first to get here, shared after. */
function entryFor(fanout: FanoutState, subscriber: Subscriber, payload: unknown): Promise<Entry> {
  const { stats, results } = fanout;
  const event = fanout.options.eventKey(payload);
  if (event === undefined) {
    stats.executions += 1;
    return executeEvent(subscriber, payload);
  }
  const key = `${subscriber.group.key}\u0000${event}`;
  let entry = results.get(key);
  if (entry) stats.shared += 1;
  else {
    stats.executions += 1;
    entry = executeEvent(subscriber, payload);
    results.set(key, entry);
  }
  return entry;
}

/** A pushed event reached `subscriber`: it joins the group's batch for that event. */
function offer(fanout: FanoutState, subscriber: Subscriber, event: unknown): void {
  const { group } = subscriber;
  let batch = group.batches.at(-1);
  if (!batch || batch.started || batch.event !== event) {
    batch = { event, members: [], started: false };
    group.batches.push(batch);
    if (!group.draining) void drain(fanout, group);
  }
  batch.members.push(subscriber);
}

/**
 * Writes the group's batches in publish order: one execution and one text per event, then a write per
 * member. It starts once the publish that filled the batch has reached every member.
 */
async function drain(fanout: FanoutState, group: Group): Promise<void> {
  group.draining = true;
  await Promise.resolve();
  try {
    for (let batch = group.batches[0]; batch; batch = group.batches[0]) {
      batch.started = true;
      const first = batch.members.find((member) => !member.ended);
      if (first) {
        const json = textOf(fanout, await entryFor(fanout, first, batch.event));
        let written = 0;
        for (const member of batch.members) {
          if (member.ended) continue;
          void member.writer!.write(json, batch.event);
          written += 1;
        }
        // Every member after the first was served the first one's result.
        fanout.stats.shared += Math.max(0, written - 1);
      }
      group.batches.shift();
    }
  } finally {
    group.draining = false;
  }
}

async function subscribe(
  fanout: FanoutState,
  args: SubscriptionArgs,
): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const created = await createSourceEventStream(args);
  if (!isAsyncIterable(created)) return created;
  const { writer } = args;
  const subscriber: Subscriber = {
    args,
    source: created,
    group: join(fanout, groupKey(args, fanout.options.scopeOf(args.contextValue))),
    writer,
    ended: false,
  };
  if (writer?.queues && pushes(created)) created.pushLive((event) => offer(fanout, subscriber, event));
  const iterator = follow(fanout, subscriber);
  // graphql-ws ends a subscription with return(), which a generator parked on `source.next()` would
  // only see after the next event: end the source first, so the wait ends now and no listener lingers.
  const originalReturn = iterator.return.bind(iterator);
  iterator.return = async (value) => {
    end(fanout, subscriber);
    await subscriber.source.return?.(undefined);
    return originalReturn(value);
  };
  return iterator;
}

/** The fan-out's state; `subscribe` opens a subscriber's stream, `offer` takes the hub's pushed events. */
export function createFanout(options: FanoutOptions): Fanout {
  const fanout: FanoutState = {
    options,
    stats: { executions: 0, shared: 0, serialisations: 0 },
    serialise: options.serialise ?? ((result: ExecutionResult) => JSON.stringify(result)),
    results: new LRUCache<string, Promise<Entry>>({ max: options.maxEntries ?? 2000 }),
    groups: new Map(),
  };
  return { subscribe: (args) => subscribe(fanout, args), stats: fanout.stats };
}
