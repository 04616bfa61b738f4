// Reconciliation: billwerk stops retrying a webhook after about a dozen attempts and has no events API,
// so an outage longer than its retry window would lose changes silently. The sweeper walks billwerk's
// contract changes since a stored watermark and appends, as `reconciled` events, the notices billwerk
// would have sent for them and the log has not seen, deduplicated against webhook deliveries by
// ContractChangeId (the same dedupe key a webhook copy has, see notice.ts).
//
// Which notice a change stands for follows ../shared/billwerk/webhooks.md: a Signup change is behind
// ContractCreated and the first ContractChanged; every other change is a ContractChanged sent when it
// takes effect (its ChangeDate, or when it was recorded if that is later); changes of one contract taking
// effect at the same instant are one notice, carrying the first change recorded [inferred].
import { type BillwerkClient } from '../billwerk/client.js';
import { type ContractChange } from '../billwerk/dto.js';
import { fetchPageAfter } from '../billwerk/paging.js';
import { type Logger } from '../logger.js';
import { type EventLog } from './event-log.js';
import { type Lease } from './sweep-lease.js';
import { dedupeKey, parseNotice, type ParsedNotice } from './notice.js';
import { answeredId, type BillwerkId } from '../billwerk/id.js';
import { type PageRequest } from '../billwerk/resources.js';

export interface ReconcilerOptions {
  log: EventLog;
  /**
   * What happens to an appended event on this instance: the embedded log hands it to the pipeline; with
   * Redis the lease holder reads it from the shared inbox, so nothing. @default nothing
   */
  onStored?: (seq: number, notice: ParsedNotice) => void;
  billwerk: Pick<BillwerkClient, 'contractChanges'>;
  logger: Logger;
  /** Only one instance sweeps at a time. */
  lease: Lease;
  /** billwerk's clock, epoch ms (the emulator's in tests). @default Date.now */
  now?: () => number;
  /**
   * How long after a change takes effect its webhook is still expected; younger changes wait for the next
   * sweep, so a webhook on its way is not raced. @default 120000
   */
  graceMs?: number;
  /** Changes per billwerk request. @default 100 */
  pageSize?: number;
}

export interface SweepResult {
  /** False when another instance held the lease, or a sweep was already running here. */
  swept: boolean;
  /** Contract changes seen for the first time. */
  discovered: number;
  /** Events appended (the notices the log had not seen). */
  appended: number;
  /** Changes not yet in effect (or inside the grace period), kept for a later sweep. */
  waiting: number;
}

export interface Reconciler {
  /** One sweep now. Rejects when billwerk cannot be read; the watermark stays where it was. */
  sweep(): Promise<SweepResult>;
  /** Sweeps now and then every `intervalMs` (errors are logged, the next sweep retries). */
  start(intervalMs: number): void;
  /** Stops the interval and waits for a running sweep. */
  close(): Promise<void>;
}

/** A change found but not yet reconciled: what is needed to build its notice later. */
interface Candidate {
  id: string;
  type: string;
  contractId: string;
  customerId?: string;
  /** When billwerk sends its notice, epoch ms. */
  due: number;
}

/** What the log keeps between sweeps (in its metadata, so it survives restarts). */
interface Watermark {
  /** The newest change id seen; the next sweep reads the changes after it. */
  lastId: string;
  /** Changes seen whose notice is not due yet (future change dates). */
  waiting: Candidate[];
}

const META_KEY = 'reconciliation:watermark';
const LEASE = 'reconciliation';
const LEASE_TTL_MS = 5 * 60 * 1000;

function readWatermark(raw: string | undefined): Watermark | undefined {
  if (raw === undefined) return undefined;
  const parsed = JSON.parse(raw) as Partial<Watermark>;
  return { lastId: parsed.lastId ?? '', waiting: parsed.waiting ?? [] };
}

function candidateOf(change: ContractChange): Candidate {
  const recorded = Date.parse(change.Timestamp);
  const effective = Date.parse(change.ChangeDate);
  return {
    id: change.Id.toLowerCase(),
    type: change.Type,
    contractId: change.ContractId,
    customerId: change.Contract?.CustomerId,
    // A signup is announced when committed, even when the contract starts later (webhooks.md).
    due: change.Type === 'Signup' || Number.isNaN(effective) ? recorded : Math.max(recorded, effective),
  };
}

function noticeOf(event: string, representative: Candidate): ParsedNotice {
  const parsed = parseNotice({
    Event: event,
    ContractId: representative.contractId,
    CustomerId: representative.customerId,
    ContractChangeId: representative.id,
    ContractChangeType: representative.type,
  });
  if (!parsed.ok) throw new Error(`reconciliation built an invalid notice: ${parsed.reason}`);
  return parsed.notice;
}

/** The notices due candidates stand for, in the order billwerk sends them. */
function noticesFor(due: Candidate[]): ParsedNotice[] {
  const groups = new Map<string, Candidate[]>();
  for (const candidate of due) {
    const key = `${candidate.contractId}@${candidate.due}`;
    groups.set(key, [...(groups.get(key) ?? []), candidate]);
  }
  const notices: ParsedNotice[] = [];
  for (const group of groups.values()) {
    // One notice per contract and instant, carrying the signup when there is one, else the first change.
    const signup = group.find((c) => c.type === 'Signup');
    const representative = signup ?? group.reduce((a, b) => (a.id < b.id ? a : b));
    if (signup) notices.push(noticeOf('ContractCreated', signup));
    notices.push(noticeOf('ContractChanged', representative));
  }
  return notices;
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { log, onStored, billwerk, logger, lease } = options;
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? 120_000;
  const pageSize = options.pageSize ?? 100;
  let running: Promise<SweepResult> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const source = (page: PageRequest) => billwerk.contractChanges.list({ ...page, includeContract: true });

  /** Every change newer than `lastId`, oldest first (billwerk lists newest first). */
  async function changesAfter(lastId: string): Promise<ContractChange[]> {
    const found: ContractChange[] = [];
    let from: BillwerkId | undefined;
    for (;;) {
      const page = await fetchPageAfter(source, { take: pageSize, from });
      for (const change of page) {
        if (change.Id.toLowerCase() <= lastId) return found.reverse();
        found.push(change);
      }
      if (page.length < pageSize) return found.reverse();
      from = answeredId(page[page.length - 1]!.Id, 'ContractChange.Id');
    }
  }

  async function sweepOnce(): Promise<SweepResult> {
    const stored = readWatermark(await log.getMeta(META_KEY));
    if (!stored) {
      // First start: history before it is not replayed; reconciliation covers what happens from now on.
      const [newest] = await fetchPageAfter(source, { take: 1 });
      await log.setMeta(META_KEY, JSON.stringify({ lastId: newest?.Id.toLowerCase() ?? '', waiting: [] }));
      return { swept: true, discovered: 0, appended: 0, waiting: 0 };
    }
    const fresh = (await changesAfter(stored.lastId)).map(candidateOf);
    const cutoff = now() - graceMs;
    const candidates = [...stored.waiting, ...fresh].sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : 1));
    const due = candidates.filter((c) => c.due <= cutoff);
    const waiting = candidates.filter((c) => c.due > cutoff);

    let appended = 0;
    for (const notice of noticesFor(due)) {
      const result = await log.append(notice, {
        dedupeKey: dedupeKey(notice),
        mayRepeat: false,
        receivedAt: new Date(),
        source: 'reconciled',
      });
      if (!result.stored) continue;
      appended += 1;
      onStored?.(result.seq, notice);
    }
    // Written after the appends: a crash in between re-reads those changes, and dedupe drops them.
    const lastId = fresh.reduce((max, c) => (c.id > max ? c.id : max), stored.lastId);
    await log.setMeta(META_KEY, JSON.stringify({ lastId, waiting } satisfies Watermark));
    if (appended > 0) logger.warn({ appended }, 'reconciliation found contract changes no webhook delivered');
    return { swept: true, discovered: fresh.length, appended, waiting: waiting.length };
  }

  async function sweepLeased(): Promise<SweepResult> {
    if (!(await lease.acquire(LEASE, LEASE_TTL_MS))) {
      return { swept: false, discovered: 0, appended: 0, waiting: 0 };
    }
    try {
      return await sweepOnce();
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
