// Reconciliation: billwerk stops retrying a webhook after about a dozen attempts and has no events API,
// so an outage longer than its retry window would lose changes silently. The sweeper reads billwerk's
// contract changes recorded since shortly before its last sweep and appends, as `reconciled` events, the
// notices billwerk sends for them (reconcile-candidates.ts) once they are due, each confirmed against
// billwerk's current state first (reconcile-confirm.ts): a change replaced or deleted before it took
// effect is dropped as superseded, never published. A contract change's notice is deduplicated against
// webhook deliveries by ContractChangeId (notice.ts); a ContractCancelled, which names no change, is matched
// to a webhook copy the log received for that contract since the change appeared.
//
// billwerk's ids are MongoDB ObjectIds, ordered only per server and per second, so the sweep never stops at
// an id: it reads back to a time (the last sweep's start minus `overlapMs`) and remembers the ids it saw
// inside that overlap.
import { type BillwerkClient } from '../billwerk/client.js';
import { type ContractChange } from '../billwerk/dto.js';
import { answeredId, type BillwerkId } from '../billwerk/id.js';
import { fetchPageAfter } from '../billwerk/paging.js';
import { type PageRequest } from '../billwerk/resources.js';
import { type Logger } from '../logger.js';
import { type EventLog } from './event-log.js';
import { dedupeKey, type ParsedNotice } from './notice.js';
import { candidateKey, candidatesOf, noticeOf, plan } from './reconcile-candidates.js';
import { billwerkView, confirm } from './reconcile-confirm.js';
import {
  readSweepState,
  recordSuperseded,
  writeSweepState,
  type Candidate,
  type SupersededRecord,
} from './reconcile-state.js';
import { type Lease } from './sweep-lease.js';
import { unreachable } from './unreachable.js';

/** What became of a due notice: published, already in the log, or dropped because billwerk replaced it. */
export type ReconcileOutcome = 'appended' | 'duplicate' | 'superseded';

export interface ReconcilerOptions {
  log: EventLog;
  /**
   * What happens to an appended event on this instance: the embedded log hands it to the pipeline; with
   * Redis the lease holder reads it from the shared inbox, so nothing. @default nothing
   */
  onStored?: (seq: number, notice: ParsedNotice) => void;
  billwerk: Pick<BillwerkClient, 'contractChanges' | 'contracts'>;
  logger: Logger;
  /** Only one instance sweeps at a time. */
  lease: Lease;
  /** billwerk's clock, epoch ms (the emulator's in tests). @default Date.now */
  now?: () => number;
  /** The clock the event log's receivedAt counts in, epoch ms. @default Date.now */
  wallNow?: () => number;
  /**
   * How long after a change takes effect its webhook is still expected; younger changes wait for the next
   * sweep, so a webhook on its way is not raced. @default 120000
   */
  graceMs?: number;
  /**
   * How far before the last sweep's start each sweep reads back, ms: a change made on another billwerk
   * server in the same second, or listed late, is still read. More than billwerk's clock skew and listing
   * delay. @default 60000
   */
  overlapMs?: number;
  /** Changes per billwerk request. @default 100 */
  pageSize?: number;
  /** Told of every due notice's outcome (for metrics). @default nothing */
  onOutcome?: (outcome: ReconcileOutcome) => void;
}

export interface SweepResult {
  /** False when another instance held the lease, or a sweep was already running here. */
  swept: boolean;
  /** Contract changes seen for the first time. */
  discovered: number;
  /** Events appended (the notices the log had not seen). */
  appended: number;
  /** Notices not due yet (a future ChangeDate, or inside the grace period), kept for a later sweep. */
  waiting: number;
  /** Notices dropped because billwerk replaced or deleted their change before it took effect. */
  superseded: number;
}

export interface Reconciler {
  /** One sweep now. Rejects when billwerk cannot be read; the sweep state stays where it was. */
  sweep(): Promise<SweepResult>;
  /** Sweeps now and then every `intervalMs` (errors are logged, the next sweep retries). */
  start(intervalMs: number): void;
  /** Stops the interval and waits for a running sweep. */
  close(): Promise<void>;
}

const LEASE = 'reconciliation';
const LEASE_TTL_MS = 5 * 60 * 1000;
const NOTHING: SweepResult = { swept: true, discovered: 0, appended: 0, waiting: 0, superseded: 0 };

const recordedAt = (change: ContractChange): number => Date.parse(change.Timestamp);
const seenOf = (changes: ContractChange[]): [BillwerkId, number][] =>
  changes.map((c) => [answeredId(c.Id, 'ContractChange.Id'), recordedAt(c)]);

/** The options with their defaults: what a sweep works with. */
type Sweeper = ReconcilerOptions &
  Required<Pick<ReconcilerOptions, 'now' | 'wallNow' | 'graceMs' | 'overlapMs' | 'pageSize'>>;

/**
 * Every change recorded since `horizon`. billwerk lists newest id first, and ids sort by the second they
 * were made in, so the walk ends at the first change recorded before the horizon.
 */
async function changesSince({ billwerk, pageSize }: Sweeper, horizon: number): Promise<ContractChange[]> {
  const source = (page: PageRequest) => billwerk.contractChanges.list({ ...page, includeContract: true });
  const found: ContractChange[] = [];
  let from: BillwerkId | undefined;
  for (;;) {
    const page = await fetchPageAfter(source, { take: pageSize, from });
    for (const change of page) {
      if (recordedAt(change) < horizon) return found;
      found.push(change);
    }
    if (page.length < pageSize) return found;
    from = answeredId(page[page.length - 1]!.Id, 'ContractChange.Id');
  }
}

/** billwerk's account id, from a webhook the log holds for the contract (reconciled notices lack it). */
async function entityIdOf(log: EventLog, contractId: BillwerkId): Promise<string | undefined> {
  const events = await log.list({ first: 20, contractId });
  return events.find((e) => e.source === 'webhook' && e.notice.entityId)?.notice.entityId;
}

/**
 * Publishes a confirmed ContractCancelled unless the log already holds one for the contract, received
 * since the change appeared and not yet matched to another request (`claims`: seq → receivedAt). Its
 * body hash is shared by every cancellation of the contract, so the dedupe key cannot tell them apart.
 */
async function publishCancellation(
  { log, onStored, wallNow }: Sweeper,
  c: Candidate,
  claims: Map<number, number>,
): Promise<ReconcileOutcome> {
  const copies = await log.list({
    first: 100,
    contractId: c.contractId,
    types: ['ContractCancelled'],
    from: new Date(c.after ?? 0),
  });
  const copy = copies.find((e) => !claims.has(e.seq));
  if (copy) {
    claims.set(copy.seq, copy.receivedAt.getTime());
    return 'duplicate';
  }
  const notice = noticeOf(c, await entityIdOf(log, c.contractId));
  const receivedAt = new Date(wallNow());
  const result = await log.append(notice, {
    dedupeKey: dedupeKey(notice),
    // The match above decided it is missing; an earlier cancellation's copy has the same key.
    mayRepeat: true,
    receivedAt,
    source: 'reconciled',
  });
  if (!result.stored) return 'duplicate';
  claims.set(result.seq, receivedAt.getTime());
  onStored?.(result.seq, notice);
  return 'appended';
}

async function publishChange({ log, onStored, wallNow }: Sweeper, c: Candidate): Promise<ReconcileOutcome> {
  const notice = noticeOf(c);
  const result = await log.append(notice, {
    dedupeKey: dedupeKey(notice),
    mayRepeat: false,
    receivedAt: new Date(wallNow()),
    source: 'reconciled',
  });
  if (!result.stored) return 'duplicate';
  onStored?.(result.seq, notice);
  return 'appended';
}

/**
 * Asks billwerk about each due notice, oldest due first: confirmed ones are to be published, superseded
 * ones dropped (and logged), and the rest wait for a later sweep.
 */
async function confirmDue(s: Sweeper, due: Candidate[], listed: ContractChange[], startedAt: number) {
  const view = billwerkView(s.billwerk, listed);
  const confirmed: Candidate[] = [];
  const later: Candidate[] = [];
  const dropped: SupersededRecord[] = [];
  for (const c of due) {
    const verdict = await confirm(c, view, startedAt);
    switch (verdict.kind) {
      case 'confirmed':
        confirmed.push(c);
        break;
      case 'notYet':
      case 'needsDetails':
        later.push(c);
        break;
      case 'superseded': {
        const { recorded: _recorded, after: _after, ...fields } = c;
        dropped.push({ ...fields, reason: verdict.reason, droppedAt: s.wallNow() });
        s.logger.info(
          { outcome: 'superseded', ...fields, reason: verdict.reason },
          'reconciliation dropped a superseded change: billwerk replaced it before it took effect',
        );
        s.onOutcome?.('superseded');
        break;
      }
      default:
        unreachable(verdict);
    }
  }
  return { confirmed, later, dropped };
}

/** Appends the confirmed notices in the order billwerk sends them; returns how many the log had not seen. */
async function appendConfirmed(s: Sweeper, confirmed: Candidate[], claims: Map<number, number>) {
  let appended = 0;
  for (const c of plan(confirmed)) {
    const outcome =
      c.event === 'ContractCancelled' ? await publishCancellation(s, c, claims) : await publishChange(s, c);
    if (outcome === 'appended') appended += 1;
    s.onOutcome?.(outcome);
  }
  return appended;
}

async function sweepOnce(s: Sweeper): Promise<SweepResult> {
  const { log, overlapMs } = s;
  const startedAt = s.now();
  const startedAtWall = s.wallNow();
  const stored = await readSweepState(log);
  const nextHorizon = startedAt - overlapMs;
  if (!stored) {
    // First start: what happened before is not replayed; reconciliation covers what happens from now on.
    const seen = seenOf(await changesSince(s, nextHorizon));
    const first = { listedAt: startedAt, listedAtWall: startedAtWall, seen, waiting: [], claimed: [] };
    await writeSweepState(log, first);
    return NOTHING;
  }
  const listed = await changesSince(s, stored.listedAt - overlapMs);
  const seen = new Map<string, number>(stored.seen);
  const fresh = listed.filter((c) => !seen.has(c.Id.toLowerCase()));
  const candidates = new Map<string, Candidate>();
  for (const c of [...stored.waiting, ...candidatesOf(fresh, listed, stored.listedAtWall - overlapMs)]) {
    if (!candidates.has(candidateKey(c))) candidates.set(candidateKey(c), c);
  }
  const cutoff = startedAt - s.graceMs;
  const waiting = [...candidates.values()].filter((c) => c.due > cutoff);
  const due = [...candidates.values()].filter((c) => c.due <= cutoff).sort((a, b) => a.due - b.due);

  const { confirmed, later, dropped } = await confirmDue(s, due, listed, startedAt);
  waiting.push(...later);
  const claims = new Map(stored.claimed);
  const appended = await appendConfirmed(s, confirmed, claims);
  await recordSuperseded(log, dropped);
  // Written after the appends: a crash in between reads those changes again, and dedupe (or, for a
  // ContractCancelled, the copy now in the log) drops them.
  for (const [id, at] of seenOf(listed)) seen.set(id, at);
  const claimsFrom = Math.min(
    startedAtWall - overlapMs,
    ...waiting.map((c) => c.after ?? Number.POSITIVE_INFINITY),
  );
  await writeSweepState(log, {
    listedAt: startedAt,
    listedAtWall: startedAtWall,
    seen: [...seen]
      .filter(([, at]) => at >= nextHorizon)
      .map(([id, at]) => [answeredId(id, 'ContractChange.Id'), at]),
    waiting,
    claimed: [...claims].filter(([, at]) => at >= claimsFrom),
  });
  if (appended > 0) s.logger.warn({ appended }, 'reconciliation found contract changes no webhook delivered');
  return {
    swept: true,
    discovered: fresh.length,
    appended,
    waiting: waiting.length,
    superseded: dropped.length,
  };
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { logger, lease } = options;
  const sweeper: Sweeper = {
    ...options,
    now: options.now ?? Date.now,
    wallNow: options.wallNow ?? Date.now,
    graceMs: options.graceMs ?? 120_000,
    overlapMs: options.overlapMs ?? 60_000,
    pageSize: options.pageSize ?? 100,
  };
  let running: Promise<SweepResult> | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function sweepLeased(): Promise<SweepResult> {
    if (!(await lease.acquire(LEASE, LEASE_TTL_MS))) return { ...NOTHING, swept: false };
    try {
      return await sweepOnce(sweeper);
    } finally {
      await lease.release(LEASE);
    }
  }

  /** Sweeps never overlap in one process: a sweep asked for while one runs starts after it. */
  function sweep(): Promise<SweepResult> {
    const run = (running ?? Promise.resolve()).catch(() => undefined).then(sweepLeased);
    running = run;
    void run
      .finally(() => {
        if (running === run) running = undefined;
      })
      .catch(() => undefined);
    return run;
  }

  const sweepLogged = () =>
    void sweep().catch((error: unknown) =>
      logger.warn({ err: error }, 'reconciliation sweep failed; the next one retries'),
    );

  return {
    sweep,
    start(intervalMs) {
      sweepLogged();
      timer = setInterval(sweepLogged, intervalMs);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
