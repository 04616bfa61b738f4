// The issue's targets for the subscription fan-out and the table rows that hold a run against them.
import { type Delivery, type Figure, type SubscriptionsResult } from './result.js';

/** p99 latency, webhook sent → `next` received, by number of subscribers on one topic. */
export const P99_TARGET_MS: Record<number, number> = { 1000: 50, 5000: 150 };
/** Gateway latency over plain ws latency, p50 and p99. */
const RATIO_TARGET = 1.5;
/** Heap per idle subscription (1 KB = 1,024 bytes). */
const HEAP_TARGET_BYTES = 8 * 1024;
/** RSS per idle subscription. */
const RSS_TARGET_BYTES = 16 * 1024;
/** Deliveries per core-second (subscribers reached per CPU-second of the server) over plain ws's. */
const THROUGHPUT_TARGET = 0.7;

/** Frames delivered per CPU-second of the server process. */
const deliveriesPerCoreSecond = (d: Delivery) => (d.subscribers * 1000) / d.serverCpuMsPerEvent;

const yesNo = (ok: boolean) => (ok ? 'yes' : 'no');
const ms = (value: number) => `${value.toFixed(1)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`;
const times = (value: number) => `${value.toFixed(2)}×`;
const count = (value: number) => value.toLocaleString('en-US');

function executions(spread: { min: number; max: number; mean: number } | null): string {
  if (!spread) return 'not read';
  return spread.min === spread.max ? `${spread.min} for every event` : `${spread.min}–${spread.max}`;
}

export function figuresOf(r: SubscriptionsResult): Figure[] {
  const rows: Figure[] = [];
  for (const { subscribers, gateway: g, baseline: b } of r.latency) {
    const who = `${count(subscribers)} subscribers`;
    const p50Ratio = g.latency.p50Ms / b.latency.p50Ms;
    rows.push({
      figure: `p50 latency, ${who}`,
      gateway: ms(g.latency.p50Ms),
      baseline: ms(b.latency.p50Ms),
      ratio: times(p50Ratio),
      target: `≤ ${RATIO_TARGET}× plain ws`,
      met: yesNo(p50Ratio <= RATIO_TARGET),
    });
    const p99Ratio = g.latency.p99Ms / b.latency.p99Ms;
    const limit = P99_TARGET_MS[subscribers];
    const absolute = limit === undefined || g.latency.p99Ms <= limit;
    const relative = p99Ratio <= RATIO_TARGET;
    const baselineNote = limit !== undefined && b.latency.p99Ms > limit ? '; plain ws misses it too' : '';
    rows.push({
      figure: `p99 latency, ${who}`,
      gateway: ms(g.latency.p99Ms),
      baseline: ms(b.latency.p99Ms),
      ratio: times(p99Ratio),
      target: `${limit === undefined ? '' : `≤ ${limit} ms, `}≤ ${RATIO_TARGET}× plain ws`,
      met:
        absolute && relative
          ? 'yes'
          : `no (${limit === undefined ? '' : `${limit} ms: ${yesNo(absolute)}${baselineNote}, `}` +
            `${RATIO_TARGET}×: ${yesNo(relative)})`,
    });
    const throughput = deliveriesPerCoreSecond(g) / deliveriesPerCoreSecond(b);
    rows.push({
      figure: `deliveries per core-second, ${who}`,
      gateway: count(Math.round(deliveriesPerCoreSecond(g))),
      baseline: count(Math.round(deliveriesPerCoreSecond(b))),
      ratio: times(throughput),
      target: `≥ ${THROUGHPUT_TARGET}× plain ws`,
      met: yesNo(throughput >= THROUGHPUT_TARGET),
    });
    rows.push({
      figure: `lost, ${who} × ${g.events} events`,
      gateway: `${count(g.lost)} of ${count(g.expected)}`,
      baseline: `${count(b.lost)} of ${count(b.expected)}`,
      ratio: '—',
      target: '0',
      met: yesNo(g.lost === 0 && g.duplicates === 0 && g.errors === 0),
    });
  }
  const largest = r.latency.at(-1);
  if (largest) {
    rows.push({
      figure: `executions per event, 1 operation, ${count(largest.subscribers)} subscribers`,
      gateway: executions(largest.gateway.executionsPerEvent),
      baseline: '—',
      ratio: '—',
      target: '1 (one group)',
      met: yesNo(
        largest.gateway.executionsPerEvent?.min === 1 && largest.gateway.executionsPerEvent.max === 1,
      ),
    });
    const serialised = largest.gateway.serialisationsPerEvent;
    if (serialised) {
      rows.push({
        figure: `serialisations per event, 1 operation, ${count(largest.subscribers)} subscribers`,
        gateway: executions(serialised),
        baseline: '—',
        ratio: '—',
        target: '1 (one group)',
        met: yesNo(serialised.min === 1 && serialised.max === 1),
      });
    }
  }
  rows.push({
    figure: `executions per event, 2 operations, ${count(r.groups.subscribers)} subscribers`,
    gateway: executions(r.groups.executionsPerEvent),
    baseline: '—',
    ratio: '—',
    target: '2 (two groups)',
    met: yesNo(r.groups.executionsPerEvent?.min === 2 && r.groups.executionsPerEvent.max === 2),
  });
  const { gateway: mg, multiplexed: mm, baseline: mb } = r.memory;
  rows.push({
    figure: `heap per idle subscription, ${count(mg.open)} subscriptions (1 per socket)`,
    gateway: kb(mg.heapPerSubscriptionBytes),
    baseline: `${kb(mb.heapPerSubscriptionBytes)} per socket`,
    ratio: times(mg.heapPerSubscriptionBytes / mb.heapPerSubscriptionBytes),
    target: `≤ ${kb(HEAP_TARGET_BYTES)}`,
    met: yesNo(mg.heapPerSubscriptionBytes <= HEAP_TARGET_BYTES && mg.open === mg.requested),
  });
  rows.push({
    figure: `RSS per idle subscription, ${count(mg.open)} subscriptions (1 per socket)`,
    gateway: kb(mg.rssPerSubscriptionBytes),
    baseline: `${kb(mb.rssPerSubscriptionBytes)} per socket`,
    ratio: times(mg.rssPerSubscriptionBytes / mb.rssPerSubscriptionBytes),
    target: `≤ ${kb(RSS_TARGET_BYTES)}`,
    met: yesNo(mg.rssPerSubscriptionBytes <= RSS_TARGET_BYTES && mg.open === mg.requested),
  });
  rows.push({
    figure: `heap per idle subscription, ${count(mm.open)} subscriptions (${mm.perSocket} per socket)`,
    gateway: kb(mm.heapPerSubscriptionBytes),
    baseline: '—',
    ratio: '—',
    target: '—',
    met: '—',
  });
  return rows;
}
