// What the reconciliation sweep keeps between sweeps, in the event log's metadata (so it survives restarts
// and, with Redis, every instance reads the same): where the last sweep read, the changes it has seen, the
// notices waiting to fall due, and the changes it dropped because billwerk replaced them. Parsed on read:
// the store is outside this process, and an older version wrote another shape.
import { z } from 'zod';
import { billwerkIdSchema, type BillwerkId } from '../billwerk/id.js';
import { type EventLog } from './event-log.js';

/** The notices reconciliation can stand in for (see reconcile-candidates.ts for which change gives which). */
export type ReconciledEvent = 'ContractCreated' | 'ContractChanged' | 'ContractCancelled';

/** A notice billwerk sends for a change it recorded, not yet published by reconciliation. */
export interface Candidate {
  event: ReconciledEvent;
  changeId: BillwerkId;
  /** ContractChangeType as billwerk lists it (an open set). */
  changeType: string;
  contractId: BillwerkId;
  customerId?: BillwerkId;
  /** When billwerk recorded the change (its Timestamp), epoch ms. */
  recorded: number;
  /** When billwerk sends the notice, epoch ms on billwerk's clock. */
  due: number;
  /**
   * ContractCancelled only: a notice received (on the gateway's clock) before this cannot be this
   * request's webhook, because the change was not there yet.
   */
  after?: number;
}

export interface SweepState {
  /** billwerk's clock when the last sweep started reading; the next reads back to it minus the overlap. */
  listedAt: number;
  /** The gateway's clock at the same moment (what the log's receivedAt counts in). */
  listedAtWall: number;
  /** Changes already turned into candidates, with when they were recorded (kept while inside the overlap). */
  seen: [BillwerkId, number][];
  /** Candidates not due yet (a future ChangeDate, or inside the grace period). */
  waiting: Candidate[];
  /** Log entries (seq, receivedAt) already matched to a cancellation request, so one counts only once. */
  claimed: [number, number][];
}

export type SupersededReason = 'deleted' | 'replaced' | 'contractDeleted';

/** A change billwerk listed but replaced or deleted before it took effect: never published. */
export interface SupersededRecord {
  event: ReconciledEvent;
  changeId: BillwerkId;
  changeType: string;
  contractId: BillwerkId;
  customerId?: BillwerkId;
  /** When the notice would have been due, epoch ms on billwerk's clock. */
  due: number;
  reason: SupersededReason;
  /** When the sweep dropped it, epoch ms on the gateway's clock. */
  droppedAt: number;
}

const STATE_KEY = 'reconciliation:watermark';
const SUPERSEDED_KEY = 'reconciliation:superseded';
/** The operator's list of dropped changes keeps the newest this many. */
export const MAX_SUPERSEDED_KEPT = 500;

const event = z.enum(['ContractCreated', 'ContractChanged', 'ContractCancelled']);
const candidate: z.ZodType<Candidate> = z.object({
  event,
  changeId: billwerkIdSchema,
  changeType: z.string(),
  contractId: billwerkIdSchema,
  customerId: billwerkIdSchema.optional(),
  recorded: z.number(),
  due: z.number(),
  after: z.number().optional(),
});
const state = z.object({
  version: z.literal(2),
  listedAt: z.number(),
  listedAtWall: z.number(),
  seen: z.array(z.tuple([billwerkIdSchema, z.number()])),
  waiting: z.array(candidate),
  claimed: z.array(z.tuple([z.number(), z.number()])),
});
/** What versions before the overlap window kept: the highest change id seen, and changes per id. */
const legacy = z.object({
  lastId: z.string(),
  waiting: z.array(
    z.object({
      id: billwerkIdSchema,
      type: z.string(),
      contractId: billwerkIdSchema,
      customerId: billwerkIdSchema.optional(),
      due: z.number(),
    }),
  ),
});
const superseded: z.ZodType<SupersededRecord[]> = z.array(
  z.object({
    event,
    changeId: billwerkIdSchema,
    changeType: z.string(),
    contractId: billwerkIdSchema,
    customerId: billwerkIdSchema.optional(),
    due: z.number(),
    reason: z.enum(['deleted', 'replaced', 'contractDeleted']),
    droppedAt: z.number(),
  }),
);

function json(raw: string, what: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new Error(`the stored ${what} is not JSON`);
  }
}

/** An ObjectId's first four bytes: the second it was made in. */
const secondsOf = (id: string): number => Number.parseInt(id.slice(0, 8), 16) * 1000;

/**
 * The older state read as this one: it read back to its highest id, so the overlap starts at that id's
 * second, and each waiting change becomes the notices it stood for then.
 */
function upgrade(old: z.output<typeof legacy>): SweepState {
  const since = /^[0-9a-f]{24}$/.test(old.lastId) ? secondsOf(old.lastId) : 0;
  const lastId = billwerkIdSchema.safeParse(old.lastId);
  const fields = (c: (typeof old.waiting)[number]) => ({
    changeId: c.id,
    changeType: c.type,
    contractId: c.contractId,
    customerId: c.customerId,
    recorded: c.due,
    due: c.due,
  });
  return {
    listedAt: since,
    listedAtWall: since,
    seen: lastId.success ? [[lastId.data, since]] : [],
    waiting: old.waiting.flatMap((c): Candidate[] =>
      c.type === 'Signup'
        ? [
            { event: 'ContractCreated', ...fields(c) },
            { event: 'ContractChanged', ...fields(c) },
          ]
        : [{ event: 'ContractChanged', ...fields(c) }],
    ),
    claimed: [],
  };
}

/** The state the last sweep left, or undefined before the first one. */
export async function readSweepState(log: EventLog): Promise<SweepState | undefined> {
  const raw = await log.getMeta(STATE_KEY);
  if (raw === undefined) return undefined;
  const value = json(raw, 'reconciliation state');
  const current = state.safeParse(value);
  if (current.success) {
    const { version: _version, ...rest } = current.data;
    return rest;
  }
  const old = legacy.safeParse(value);
  if (old.success) return upgrade(old.data);
  throw new Error(`the stored reconciliation state cannot be read: ${current.error.issues[0]?.message}`);
}

export async function writeSweepState(log: EventLog, next: SweepState): Promise<void> {
  await log.setMeta(STATE_KEY, JSON.stringify({ version: 2, ...next }));
}

/** The changes reconciliation dropped, newest first. */
export async function readSuperseded(log: EventLog): Promise<SupersededRecord[]> {
  const raw = await log.getMeta(SUPERSEDED_KEY);
  if (raw === undefined) return [];
  const parsed = superseded.safeParse(json(raw, 'list of superseded changes'));
  // The list only informs operators: a damaged one starts afresh rather than stopping the sweeps.
  return parsed.success ? parsed.data : [];
}

/** Adds dropped changes in front (a notice dropped again after a crash is listed once). */
export async function recordSuperseded(log: EventLog, dropped: SupersededRecord[]): Promise<void> {
  if (dropped.length === 0) return;
  const key = (r: SupersededRecord) => `${r.event}:${r.changeId}`;
  const fresh = new Set(dropped.map(key));
  const kept = (await readSuperseded(log)).filter((r) => !fresh.has(key(r)));
  const next = [...dropped.slice().reverse(), ...kept].slice(0, MAX_SUPERSEDED_KEPT);
  await log.setMeta(SUPERSEDED_KEY, JSON.stringify(next));
}
