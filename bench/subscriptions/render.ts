// The "Subscriptions" section of docs/benchmarks.md, from a run's results. Only the text between the
// `<!-- subscriptions:start -->` and `<!-- subscriptions:end -->` markers is this file's.
import { existsSync } from 'node:fs';
import { readResult, resultsFile, writeSection } from '../lib/docs.js';
import { P99_TARGET_MS } from './figures.js';
import {
  subscriptionsResultSchema,
  type Delivery,
  type MemoryRun,
  type SubscriptionsResult,
} from './result.js';

const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: (string | number)[][]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
const ms = (value: number) => `${value} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`;
const count = (value: number) => value.toLocaleString('en-US');

function deliveryRow(server: string, d: Delivery): (string | number)[] {
  return [
    server,
    count(d.subscribers),
    ms(d.latency.p50Ms),
    ms(d.latency.p90Ms),
    ms(d.latency.p99Ms),
    ms(d.latency.maxMs),
    ms(d.firstReceipt.p50Ms),
    ms(d.lastReceipt.p50Ms),
    ms(d.postMs.p50Ms),
    `${count(d.received)} / ${count(d.expected)}`,
    `${d.serverCpuMsPerEvent} ms`,
    `${d.clientCpuMsPerEvent} ms`,
    d.frameBytes,
  ];
}

function memoryRow(server: string, m: MemoryRun): (string | number)[] {
  return [
    server,
    `${count(m.open)} on ${count(m.sockets)}`,
    `${(m.connectMs / 1000).toFixed(1)} s`,
    `${mb(m.before.heapUsed)} → ${mb(m.after.heapUsed)} → ${mb(m.afterClose.heapUsed)}`,
    `${mb(m.before.rss)} → ${mb(m.after.rss)} → ${mb(m.afterClose.rss)}`,
    kb(m.heapPerSubscriptionBytes),
    kb(m.rssPerSubscriptionBytes),
  ];
}

const firstReceipts = (r: SubscriptionsResult, side: 'gateway' | 'baseline') =>
  r.latency.map((l) => `${ms(l[side].firstReceipt.p50Ms)} at ${count(l.subscribers)}`).join(', ');
const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;

/** Whether plain ws itself met the absolute targets: if not, no server could on this machine. */
function baselineVerdict(r: SubscriptionsResult): string {
  const missed = r.latency.filter(
    ({ subscribers, baseline }) =>
      P99_TARGET_MS[subscribers] !== undefined && baseline.latency.p99Ms > P99_TARGET_MS[subscribers],
  );
  if (missed.length === 0) {
    return 'In this run plain ws met every absolute p99 target, so where the gateway misses one the miss is its own.';
  }
  const which = missed
    .map(
      (l) =>
        `${P99_TARGET_MS[l.subscribers]} ms at ${count(l.subscribers)} (${ms(l.baseline.latency.p99Ms)})`,
    )
    .join(' and ');
  return (
    `Plain ws itself missed ${which}: on this machine, under this load, no server meets that target, ` +
    'and the ratio to plain ws is the fairer reading.'
  );
}

/** The serialisations per event the run counted, where it counted them. */
function serialisedNote(d: Delivery): string {
  const spread = d.serialisationsPerEvent;
  if (!spread) return 'not counted in this run';
  const n = spread.min === spread.max ? `${spread.min}` : `${spread.min}–${spread.max}`;
  return `${n} serialisation${n === '1' ? '' : 's'} per event for ${count(d.subscribers)} subscribers`;
}

/** Where the processes ran: in production a Node process gets one core. */
function pinNote(r: SubscriptionsResult): string {
  return r.setup.pinned
    ? 'Each server (the gateway, plain ws) pinned to CPU 1 with `taskset`; the sender and the clients on CPU 0.'
    : 'No process pinned: the servers could use every core.';
}

/** Whether other work on the machine outweighed its cores during the run. */
function loadNote(r: SubscriptionsResult): string {
  const { nproc, loadAverage } = r.machine;
  const peak = Math.max(loadAverage.start, loadAverage.end);
  if (peak <= nproc) return '';
  return (
    `\n\n**Load.** Other work ran on the machine during this run: a load average of up to ${peak} on\n` +
    `${nproc} CPUs, so every process here waited for a core part of the time. Absolute latencies carry that\n` +
    'wait; the gateway and plain ws took turns through it, so their ratio is the steadier reading.'
  );
}

/** How much of a subscription's memory is its socket and how much the subscription itself. */
function memoryVerdict(r: SubscriptionsResult): string {
  const { gateway: g, multiplexed: x, baseline: b } = r.memory;
  const partial =
    g.open < g.requested
      ? ` Only ${count(g.open)} of ${count(g.requested)} subscriptions opened, so the figures are for that many.`
      : '';
  return (
    `With ${x.perSocket} subscriptions per socket a subscription still costs ${kb(x.heapPerSubscriptionBytes)} ` +
    `of heap against ${kb(g.heapPerSubscriptionBytes)} with a socket each, and a bare socket costs plain ws ` +
    `${kb(b.heapPerSubscriptionBytes)}: most of the gateway's memory per subscription is the subscription ` +
    `(its context, its parsed query, its streams), not its connection. RSS is the process's resident memory ` +
    `and moves with the allocator and the garbage collector, so it is the rougher figure.${partial}`
  );
}

const figuresTable = (r: SubscriptionsResult) =>
  table(
    ['figure', 'gateway', 'plain ws', 'gateway ÷ plain ws', 'target', 'met?'],
    r.figures.map((f) => [f.figure, f.gateway, f.baseline, f.ratio, f.target, f.met]),
  );

/** The figures of the fan-out before its one-pass delivery (bench/results/subscriptions-before.json). */
function startingPoint(before: SubscriptionsResult | undefined): string {
  if (!before) return '';
  return `

### Starting point: the fan-out with a step per subscriber

The same benchmark, same settings and pinning, run ${before.date.slice(0, 16).replace('T', ' ')} UTC on the code
before each group wrote its members in one pass (every subscriber had its own async-generator steps per
event and its own promise per write, its frame built by string concatenation and encoded per socket;
1-minute load average ${before.machine.loadAverage.start} → ${before.machine.loadAverage.end}). Raw numbers:
\`bench/results/subscriptions-before.json\`.

${figuresTable(before)}`;
}

export function renderSubscriptions(r: SubscriptionsResult, before?: SubscriptionsResult): string {
  const { machine: m, setup: s, memory } = r;
  const figures = figuresTable(r);
  const deliveries = table(
    [
      'server',
      'subscribers',
      'p50',
      'p90',
      'p99',
      'max',
      'first receipt (p50 of events)',
      'last receipt (p50 of events)',
      'POST answered (p50)',
      'received',
      'server CPU per event',
      'clients CPU per event',
      'frame bytes',
    ],
    [
      ...r.latency.flatMap((l) => [deliveryRow('gateway', l.gateway), deliveryRow('plain ws', l.baseline)]),
      deliveryRow('gateway, 2 operations', r.groups),
    ],
  );
  const memoryTable = table(
    [
      'server',
      'subscriptions on sockets',
      'connect',
      'heap before → open → closed',
      'RSS before → open → closed',
      'heap per subscription',
      'RSS per subscription',
    ],
    [
      memoryRow('gateway, 1 per socket', memory.gateway),
      memoryRow(`gateway, ${memory.multiplexed.perSocket} per socket`, memory.multiplexed),
      memoryRow('plain ws (sockets)', memory.baseline),
    ],
  );
  const largest = r.latency.at(-1)!;
  const g = largest.gateway;
  const perSubscriberUs = (d: Delivery) => ((d.serverCpuMsPerEvent * 1000) / d.subscribers).toFixed(1);

  return `
Last run ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`npm run bench:subscriptions\`, on ${m.nproc} CPUs
(\`nproc\`, ${m.cpuModel}), Node ${m.node}, ${m.platform}, open files ${m.openFilesLimit}; 1-minute load
average ${m.loadAverage.start} at the start and ${m.loadAverage.end} at the end. ${pinNote(r)} Raw numbers:
\`bench/results/subscriptions.json\`.${loadNote(r)}

${figures}${startingPoint(before)}

### What was measured

- **Topic**: every subscriber sends the same operation, one subscription per WebSocket:

  \`\`\`graphql
  ${s.query}
  \`\`\`

  All present the same API key (\`connectionParams.authorization\`), so they are one principal and one
  group. Groups are per principal: subscribers with their own keys or customer tokens would each be a group
  of their own, and each event would be executed once per principal.

- **Gateway** (\`bench/subscriptions/gateway.ts\`): \`createGateway\` in a process of its own with a seeded
  emulator whose clock stands still, a fresh \`DATA_DIR\` (SQLite on the machine's disk), HTTP Basic on the
  webhook endpoint and the production settings. The sender (the orchestrator, another process) posts
  \`{"Event":"BenchEvent","N":n,"SentAt":t}\` to \`POST /webhooks/billwerk\`; the gateway stores it, runs
  it through the pipeline (it names no entity, so nothing is fetched from billwerk), publishes it to the hub
  and executes it once for the group.
- **Plain ws** (\`bench/subscriptions/baseline.ts\`): a \`ws\` WebSocketServer in a process of its own. For
  each event the sender posts one of the gateway's own \`next\` frames (${largest.baseline.frameBytes}
  bytes), with this event's \`N\` and \`SentAt\` written in, to \`POST /broadcast\`, and the server sends
  that string to every socket. Same bytes, same number of sockets, no storage and no GraphQL: the floor for
  pushing this frame to this many sockets on this machine.
- **Clients** (\`bench/subscriptions/clients.ts\`): ${s.clientProcesses} processes per server, each opening
  half the sockets with \`ws\` and speaking graphql-transport-ws itself (\`connection_init\`,
  \`connection_ack\`, \`subscribe\`). Both servers' subscribers stay connected through a phase; measuring
  starts once the gateway's hub (or the plain server) reports every subscription open.
- **Latency** = the moment a client receives the frame minus \`SentAt\`, the moment the sender began the
  POST, both read as \`performance.timeOrigin + performance.now()\` (one machine, one time base; every
  client's clock agreed with the sender's within ${s.clockSkewMs} ms, round trip included). Per server and
  phase: ${s.warmupEvents} warm-up events, then ${s.events} measured ones in ${s.turns} turns that alternate
  between the gateway and plain ws, so that whatever else the machine does falls on both. Each event is sent
  once the previous one reached every subscriber and at least ${s.intervalMs} ms after it, so events never
  overlap. Percentiles are nearest-rank over every receipt (${count(g.latency.count)} per server at
  ${count(largest.subscribers)} subscribers).
- **Lost** = events × subscribers − distinct (subscription, event) pairs received; repeated frames, error
  frames and unexpected closes are counted apart and must be 0 too.
- **Executions per event**: the gateway's \`fanout.executions\` and \`fanout.shared\` counters, read after
  each event was delivered, so each reading covers one event; serialisations per event likewise from
  \`fanout.serialisations\` (the result's JSON text, which every subscriber's frame carries after its own
  subscription id). The two-operation phase alternates the query
  above and \`${s.secondQuery}\` over ${count(r.groups.subscribers)} subscribers (${r.groups.events}
  events).
- **Memory**: ${count(memory.gateway.requested)} idle subscriptions opened and held; \`global.gc()\` (the
  servers run with \`--expose-gc\`) until the heap stops shrinking, then \`process.memoryUsage()\`: before,
  with all open, and after all closed again. Per subscription = (open − before) ÷ subscriptions. The gateway
  is measured with one subscription per socket, as the clients above, and with
  ${memory.multiplexed.perSocket} per socket to show the subscription without its connection; plain ws holds
  the same number of bare sockets. 1 KB = 1,024 bytes.

${deliveries}

"First receipt" and "last receipt" are, per event, the earliest and the latest arrival over all
subscribers (the median over events is shown): the first is what the quickest subscriber waits (storage,
pipeline, the execution and everything the fan-out does before its first send), the distance to the last
is the fan-out itself. "POST answered" is the sender's round trip: the gateway answers once the event is
stored, plain ws once it has sent the frame to every socket. CPU is \`process.cpuUsage()\` of the server
process and of its client processes over its own turns.

${memoryTable}

${memoryVerdict(r)}

### What limits it

- **${m.nproc} cores for everything.** ${
    s.pinned
      ? `Each server has CPU 1 to itself as far as this run goes; the sender and the ${2 * s.clientProcesses} client processes share CPU 0. Whatever else runs on the machine (load average above) takes its share of both.`
      : `The gateway, the plain ws server, ${2 * s.clientProcesses} client processes and the sender share them, with whatever else runs on the machine (load average above).`
  } During
  a fan-out the clients parse ${count(largest.subscribers)} frames while the server sends them, so the last
  subscriber's latency includes client CPU time: ${largest.baseline.clientCpuMsPerEvent} ms of it per event
  even against plain ws. ${baselineVerdict(r)}
- **Per-subscriber work in the gateway.** At ${count(largest.subscribers)} subscribers the gateway process
  spends ${g.serverCpuMsPerEvent} ms CPU per event (${perSubscriberUs(g)} µs per subscriber) against
  ${largest.baseline.serverCpuMsPerEvent} ms for plain ws (${perSubscriberUs(largest.baseline)} µs). The
  execution and its serialisation are shared
  (${serialisedNote(largest.gateway)}), and so is the frame's tail: everything after the subscription id,
  encoded to UTF-8 once per group and event. A caught-up subscriber takes the event from the hub by a
  plain call (its filter, then joining the group's batch) and the group writes every member in one pass:
  a buffer of the member's id and the shared tail (a copy of the payload bytes, no re-encoding), one
  \`ws\` send. What is left per subscriber beyond plain ws's send: the hub's filter call per subscriber
  (its scope and arguments, checked per subscriber rather than per group), the copy into the frame buffer,
  graphql-ws's keep-alive pings, and the webhook's storage and pipeline, paid once per event. A CPU
  profile of a 5,000-subscriber fan-out spends most of the gateway's busy time in the kernel's \`writev\`
  (as plain ws does), about 6 % in the hub's publish (filters) and 5 % in the group's writes. First
  receipts: ${firstReceipts(r, 'gateway')} for the gateway, ${firstReceipts(r, 'baseline')} for plain ws.
  \`npm run bench:subscriptions -- --cpu-prof\` writes CPU profiles of the gateway during the largest
  fan-out and while the ${count(memory.gateway.requested)} idle subscriptions connect.
- **Subscribing.** Connecting and subscribing ${count(memory.gateway.requested)} clients took
  ${seconds(memory.gateway.connectMs)} against the gateway and ${seconds(memory.baseline.connectMs)} for bare
  plain ws sockets: each \`subscribe\` message is parsed and validated (with the query limits) on its own,
  and gets its own context, although all of them send the same document.
- **Storage before fan-out.** The webhook is answered only once it is on disk (SQLite
  \`synchronous = FULL\`), and publishing commits again; both commits are in every latency above (the POST alone:
  ${ms(g.postMs.p50Ms)} median, ${ms(g.postMs.p99Ms)} p99 at ${count(largest.subscribers)}).
- **Loopback only.** Everything runs on 127.0.0.1: no network latency, no TLS, no proxies; real clients
  add their own.
- **Short runs.** ${s.events} events per server and phase: p99 rests on many receipts but only ${s.events}
  fan-outs, so one slow fan-out (a garbage collection in the gateway or a client, a slow disk commit) moves
  it.
`;
}

/** Rewrites the Subscriptions section of docs/benchmarks.md, with the starting point when it is kept. */
export function writeSubscriptionsSection(repoRoot: string, result: SubscriptionsResult) {
  const before = existsSync(resultsFile('subscriptions-before'))
    ? readResult('subscriptions-before', subscriptionsResultSchema)
    : undefined;
  return writeSection(repoRoot, 'subscriptions', 'Subscriptions', renderSubscriptions(result, before));
}
