// The soak section of docs/benchmarks.md, from bench/results/soak.json: the run, its figures against the
// targets, and one row per minute.
import { writeSection } from '../lib/docs.js';
import { type SoakResult } from './result.js';

const fixed = (value: number | null, digits = 1) => (value === null ? '–' : value.toFixed(digits));
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** How the subscribers arrived: the warm-up before minute 1, which the per-minute figures leave out. */
function warmUp(s: SoakResult['setup']): string {
  if (s.socketsPerSecond === undefined) {
    return 'The sockets all connected in one instant as the mixed load started (a start-up storm in minute 1).';
  }
  const seconds = Math.round(s.sockets / s.socketsPerSecond);
  return (
    `The sockets connected ${s.socketsPerSecond} per second, as clients arrive, over about ${seconds} s ` +
    'before the measured minutes; minute 1 starts with all of them open and the webhooks and queries starting.'
  );
}

export function soakSection(r: SoakResult): string {
  const { setup: s, totals: t, minutes } = r;
  const measured = minutes.filter((m) => m.minute > 1);
  const worst = (pick: (m: SoakResult['minutes'][number]) => number) =>
    measured.length ? Math.max(...measured.map(pick)) : Number.NaN;
  const queryP99 = worst((m) => m.queries.latency.p99Ms);
  const deliveryP99 = worst((m) => m.subscribers.delivery.p99Ms);
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const unpublished = t.pendingAtEnd ? `; ${t.pendingAtEnd} events still unpublished when counted` : '';
  const rows = minutes.map((m) => {
    const g = m.gateway;
    return (
      `| ${m.minute} | ${m.queries.latency.p50Ms} / ${m.queries.latency.p99Ms} | ` +
      `${m.subscribers.delivery.p50Ms} / ${m.subscribers.delivery.p99Ms} | ` +
      `${m.webhooks.ack.p50Ms} / ${m.webhooks.ack.p99Ms} | ${fixed(g.loopDelay.p99Ms)} / ${fixed(g.loopDelay.maxMs)} | ` +
      `${fixed(g.heapAfterMajorGcMb)} | ${g.majorGcs} (${fixed(g.majorGcMaxMs, 0)}) | ${fixed(g.rssMb, 0)} | ` +
      `${mb(g.diskBytes)} | ${g.retained} / ${g.pending} | ${g.pruneSteps.count} (${fixed(g.pruneSteps.maxMs, 2)}) | ` +
      `${m.subscribers.duplicates + m.subscribers.outOfOrder} | ${m.webhooks.errors + m.queries.errors} |`
    );
  });
  return `
Run on ${r.date.slice(0, 10)} for **${s.minutes} minutes** (\`npm run bench:soak -- --minutes=${s.minutes}\`), on
${r.machine.nproc} × ${r.machine.cpuModel}, Node ${r.machine.node}; load average ${r.machine.loadAverage.start}
at the start and ${r.machine.loadAverage.end} at the end.${s.note ? ` ${s.note}` : ''}

The gateway ${s.pinned ? 'pinned to one core (`taskset -c 1`; the emulator, load and subscribers unpinned)' : 'not pinned'},${s.nodeFlags.length ? ` node flags \`${s.nodeFlags.join(' ')}\`,` : ''}
billwerk emulated with ${s.latencyMs} ms on every call, all at once: ${s.webhooksPerSecond} ContractChanged
webhooks/s (each with a change id of its own) over ${s.contracts} contracts, ${s.queriesPerSecond}
one-contract queries/s (contract, then its customer: a critical path of ${s.criticalPathMs} ms), and
${s.sockets} graphql-ws sockets with ${s.subscriptionsPerSocket} contract subscriptions each, of which
${s.churning} drop and reconnect at ${s.reconnectsPerSecond} per second, every other reconnect resuming each
subscription with \`after\`. ${warmUp(s)} \`EVENT_RETENTION_MAX_EVENTS=${s.maxEvents}\`, so the bound is
reached in minute ${t.boundReachedMinute ?? '(never)'}.

| figure | target | measured | verdict |
| --- | --- | --- | --- |
| disk growth once the bound is reached | ≤ 1 MB/min | ${fixed(t.diskSlopeMbPerMin, 2)} MB/min | ${verdict(t.diskSlopeMbPerMin !== null && t.diskSlopeMbPerMin <= 1)} |
| disk per event kept (pages in use ÷ events) | ≤ 1,536 bytes | ${t.bytesPerEvent ?? '–'} bytes | ${verdict(t.bytesPerEvent !== null && t.bytesPerEvent <= 1536)} |
| heap after the gateway's full collections, slope from the bound on | ≤ 0.1 MB/min | ${fixed(t.heapSlopeMbPerMin, 3)} MB/min (${t.heapAtEndMb} MB after a forced collection at the end) | ${verdict(t.heapSlopeMbPerMin !== null && t.heapSlopeMbPerMin <= 0.1)} |
| query p99, worst minute after the first | ≤ ${2 * s.criticalPathMs} ms | ${queryP99} ms (alone, before the mixed load: p50 ${r.queryOnly.p50Ms}, p99 ${r.queryOnly.p99Ms} ms) | ${verdict(queryP99 <= 2 * s.criticalPathMs)} |
| delivery p99, worst minute after the first | ≤ 100 ms | ${deliveryP99} ms | ${verdict(deliveryP99 <= 100)} |
| deliveries lost / duplicated or out of order | 0 / 0 | ${t.lost} / ${t.duplicated + t.outOfOrder} of ${t.expected} (${t.resumedSessions} subscriptions resumed with \`after\`${unpublished}) | ${verdict(t.lost === 0 && t.duplicated + t.outOfOrder === 0)} |
| longest pruning step | ≤ 10 ms | ${t.pruneStepMaxMs} ms | ${verdict(t.pruneStepMaxMs <= 10)} |
| webhooks acknowledged 2xx | all | ${t.webhooksSent - t.webhooksFailed} of ${t.webhooksSent} | ${verdict(t.webhooksFailed === 0)} |

Per minute (latencies p50 / p99 in ms; event-loop delay p99 / max in ms; heap after the last full
collection of the minute in MB, – when none ran; full collections (longest, ms); RSS and disk in MB;
events kept (published) / pending (stored, not yet published); pruning steps (longest, ms); deliveries
repeated or out of order; failed requests):

| min | query | delivery | ack | loop delay | heap | full GCs | RSS | disk | kept / pending | prune steps | dup/ooo | failed |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
${t.allocationProfile ? `\nThe gateway's sampled heap profile over minute 3: \`${t.allocationProfile}\` (open in Chrome DevTools, Memory).\n` : ''}`;
}

export const writeSoakSection = (repoRoot: string, result: SoakResult) =>
  writeSection(repoRoot, 'soak', 'Soak', soakSection(result));
